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
  status?: number;
  responseBody?: string;
  error?: string;
  /** When the next attempt was scheduled (ms from this attempt), if any. */
  retryInMs?: number;
  /** The injected fault this attempt carried, if any. */
  fault?: string;
}

export interface Delivery {
  /** `${messageId}/${endpointId}` */
  key: string;
  messageId: string;
  endpointId: string;
  url: string;
  eventType: string;
  jobId?: string;
  /** The exact body signed and sent. */
  body: string;
  status: DeliveryStatus;
  attempts: Attempt[];
  /** Attempts made on the retry schedule (manual resends not counted). */
  scheduledAttempts: number;
  createdAt: number;
  nextAttemptAt?: number;
  /** Due time of the attempt waiting in the queue. */
  dueAt?: number;
  queuedAt?: number;
  finishedAt?: number;
  /** Why it failed or was dropped. */
  reason?: string;
  /** Injected faults that shaped this delivery (drop, delay, duplicate, reorder). */
  faults: string[];
  /** For an injected duplicate: the delivery it copies. */
  duplicateOf?: string;
}
