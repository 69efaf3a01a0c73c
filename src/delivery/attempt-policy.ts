import { parseRetryAfter, type RetrySchedule } from './retry-schedule.js';
import { seedFrom } from '../core/random.js';
import type { AttemptTrigger } from './types.js';

/** What one attempt got: an answer (status and headers), or none (a timeout, a network error). */
export interface AttemptResult {
  status?: number;
  header?(name: string): string | undefined;
  /** Why there was no answer, e.g. `timeout: 15000 ms`. */
  error?: string;
  /** No answer within the delivery timeout (svix-server then waits at least a minute). */
  timedOut?: boolean;
}

/** What happens to a message after an attempt, by Svix's rules. */
export type AttemptDecision =
  | { outcome: 'succeeded' }
  | { outcome: 'failed'; reason: string; disableEndpoint?: string }
  | { outcome: 'retry'; delayMs: number };

export interface AttemptContext {
  /** Scheduled attempts made so far, this one included (manual ones do not count). */
  scheduledAttempts: number;
  trigger: AttemptTrigger;
  schedule: RetrySchedule;
  /** Wall time, to read a `Retry-After` given as an HTTP date. */
  now: number;
  /** How far a delay may stray either way, 0..0.5 (`--retry-jitter`; Svix's is 0.2). */
  jitter: number;
  /** This attempt's draw in [0, 1], from the seed (see `jitterDraw`), so a run replays. */
  draw: number;
}

/** After a timeout or a 429 the next attempt waits at least this long (svix-server's `OVERLOAD_PENALTY_SECS`). */
export const OVERLOAD_PENALTY_MS = 60_000;

/**
 * Svix's delivery semantics as one pure decision: a 2xx succeeds; a 3xx is a failure (redirects
 * are not followed); a 410 fails the message and disables the endpoint; `webhook-delivery:
 * abort-message` stops retries; a manual resend or recovery is one attempt; otherwise a retry
 * after `retryDelay`, until the schedule is exhausted.
 */
const SUCCEEDED: AttemptDecision = Object.freeze({ outcome: 'succeeded' });

export function decideAttempt(r: AttemptResult, c: AttemptContext): AttemptDecision {
  const status = r.status;
  if (status !== undefined && status >= 200 && status < 300) return SUCCEEDED;
  if (status === 410) {
    return {
      outcome: 'failed',
      reason: 'endpoint answered 410 Gone; the endpoint is now disabled',
      disableEndpoint: 'the endpoint answered 410 Gone',
    };
  }
  if (status !== undefined && /abort-message/i.test(r.header?.('webhook-delivery') ?? '')) {
    return { outcome: 'failed', reason: 'the receiver asked to stop retrying (webhook-delivery: abort-message)' };
  }
  const what = status !== undefined ? `HTTP ${status}` : (r.error ?? 'no response');
  if (c.trigger !== 'scheduled') return { outcome: 'failed', reason: `manual ${c.trigger} failed: ${what}` };
  const scheduled = c.schedule.delayAfter(c.scheduledAttempts);
  if (scheduled === undefined)
    return { outcome: 'failed', reason: `exhausted: ${c.scheduledAttempts} attempts failed, the last with ${what}` };
  return { outcome: 'retry', delayMs: retryDelay(scheduled, r, c) };
}

/**
 * The delay before the next attempt, as svix-server's `calculate_retry_delay` makes it from the
 * scheduled one: after a timeout or a 429, at least `OVERLOAD_PENALTY_MS` (or the schedule's
 * longest delay, if shorter: a fast test schedule stays fast); then a `Retry-After` on any failed
 * answer, clamped to [delay, 2 x delay], so it can lengthen the wait, never shorten it; then
 * +/- `jitter` of it.
 */
export function retryDelay(scheduled: number, r: AttemptResult, c: Omit<AttemptContext, 'trigger'>): number {
  let delay = scheduled;
  if (r.timedOut || r.status === 429) delay = Math.max(delay, Math.min(OVERLOAD_PENALTY_MS, c.schedule.maxDelayMs));
  const retryAfter = r.status === undefined ? undefined : parseRetryAfter(r.header?.('retry-after'), c.now);
  if (retryAfter !== undefined) delay = Math.min(Math.max(retryAfter, delay), 2 * delay);
  return Math.round(delay * (1 - c.jitter + 2 * c.jitter * c.draw));
}

/**
 * An attempt's jitter draw in [0, 1], hashed from the seed, the delivery (message and endpoint)
 * and the attempt's number rather than taken from a stream: the same attempt gets the same delay
 * whatever order concurrent deliveries end in.
 */
export function jitterDraw(seed: number, deliveryKey: string, attempt: number): number {
  return seedFrom(seed, 'retry-jitter', deliveryKey, attempt) / 0xffffffff;
}
