import { parseRetryAfter, type RetrySchedule } from './retry-schedule.js';
import type { AttemptTrigger } from './types.js';

/** What one attempt got: an answer (status and headers), or none (a timeout, a network error). */
export interface AttemptResult {
  status?: number;
  header?(name: string): string | undefined;
  /** Why there was no answer, e.g. `timeout: 15000 ms`. */
  error?: string;
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
}

/** The statuses whose `Retry-After` Svix honours. */
const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Svix's delivery semantics as one pure decision: a 2xx succeeds; a 3xx is a failure (redirects
 * are not followed); a 410 fails the message and disables the endpoint; `webhook-delivery:
 * abort-message` stops retries; a manual resend or recovery is one attempt; otherwise the next
 * scheduled delay, or a `Retry-After` on 429/502/503/504 (capped at the schedule's longest
 * delay), until the schedule is exhausted.
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
  const retryAfter =
    status !== undefined && RETRY_AFTER_STATUSES.has(status)
      ? parseRetryAfter(r.header?.('retry-after'), c.now)
      : undefined;
  return {
    outcome: 'retry',
    delayMs: retryAfter !== undefined ? Math.min(retryAfter, c.schedule.maxDelayMs) : scheduled,
  };
}
