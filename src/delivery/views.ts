import { headerNames, type HeaderPrefix } from './signing.js';
import type { Attempt, Delivery } from './types.js';

/** The signature headers an attempt was sent with, by name (`prefix`: the mock's header names). */
function sentHeaders(d: Delivery, a: Attempt, prefix: HeaderPrefix): Record<string, string> | null {
  if (a.sent) return a.sent;
  if (a.signature === undefined) return null;
  const names = headerNames(prefix);
  return { [names.id]: d.messageId, [names.timestamp]: String(a.timestamp), [names.signature]: a.signature };
}

/** The public view of a delivery, for the admin API and the portal. */
export function deliveryView(d: Delivery, prefix: HeaderPrefix = 'webhook') {
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
      requestHeaders: sentHeaders(d, a, prefix),
      responseHeaders: a.responseHeaders ?? null,
    })),
  };
}
