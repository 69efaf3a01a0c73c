/** One message (an event, one `webhook-id`) on its way to one endpoint. */
export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed' | 'dropped';
export const DELIVERY_STATES: readonly DeliveryStatus[] = ['pending', 'sending', 'succeeded', 'failed', 'dropped'];
export const TERMINAL_DELIVERY_STATES: ReadonlySet<DeliveryStatus> = new Set(['succeeded', 'failed', 'dropped']);

export type AttemptTrigger = 'scheduled' | 'resend' | 'recover';

export interface Attempt {
  /** 1-based, counting every attempt of this delivery. */
  n: number;
  trigger: AttemptTrigger;
  /** When this attempt was due (mock clock); `at - dueAt` is how late the timer fired. */
  dueAt: number;
  /** When its timer fired and it joined the endpoint's queue (mock clock). */
  queuedAt: number;
  at: number;
  durationMs: number;
  /** The timestamp signed into this attempt (unix seconds). */
  timestamp: number;
  status?: number | undefined;
  responseBody?: string | undefined;
  error?: string | undefined;
  /** When the next attempt was scheduled (ms from this attempt), if any. */
  retryInMs?: number | undefined;
  /** The injected fault this attempt carried, if any. */
  fault?: string | undefined;
  /**
   * The signature header's value as sent: with the message id and `timestamp`, the three
   * signature headers a consumer verified against (the view puts them back together).
   */
  signature?: string | undefined;
  /**
   * The signature headers as sent, by name, only when a signature fault made them differ from
   * the usual three (one left out, another timestamp): most attempts keep just `signature`.
   */
  sent?: Record<string, string> | undefined;
  /** The response's headers, `name: value` lines, at most 2 KiB. */
  responseHeaders?: string | undefined;
}

export interface Delivery {
  /** `${messageId}/${endpointId}` */
  key: string;
  messageId: string;
  endpointId: string;
  url: string;
  eventType: string;
  jobId?: string | undefined;
  /** The exact body signed and sent. */
  body: string;
  status: DeliveryStatus;
  attempts: Attempt[];
  /** Attempts made on the retry schedule (manual resends not counted). */
  scheduledAttempts: number;
  createdAt: number;
  nextAttemptAt?: number | undefined;
  /** Due time of the attempt waiting in the queue. */
  dueAt?: number | undefined;
  queuedAt?: number | undefined;
  finishedAt?: number | undefined;
  /** Why it failed or was dropped. */
  reason?: string | undefined;
  /** Injected faults that shaped this delivery (drop, delay, duplicate, reorder). */
  faults: readonly string[];
  /** For an injected duplicate: the delivery it copies. */
  duplicateOf?: string | undefined;
}
