import type { Delivery } from './types.js';

/** The public view of a delivery, for the admin API and the portal. */
export function deliveryView(d: Delivery) {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    id: d.messageId,
    deliveryId: d.key,
    endpointId: d.endpointId,
    url: d.url,
    eventType: d.eventType,
    jobId: d.jobId ?? null,
    status: d.status,
    reason: d.reason ?? null,
    payload: JSON.parse(d.body) as unknown,
    createdAt: iso(d.createdAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    faults: d.faults,
    duplicateOf: d.duplicateOf ?? null,
    finishedAt: iso(d.finishedAt),
    attempts: d.attempts.map((a) => ({
      n: a.n,
      trigger: a.trigger,
      at: iso(a.at),
      durationMs: a.durationMs,
      timestamp: a.timestamp,
      status: a.status ?? null,
      responseBody: a.responseBody ?? null,
      error: a.error ?? null,
      retryInMs: a.retryInMs ?? null,
      fault: a.fault ?? null,
      /** The signature headers as sent, by name. */
      requestHeaders: a.sent ?? null,
      responseHeaders: a.responseHeaders ?? null,
    })),
  };
}
