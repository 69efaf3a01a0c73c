import ms from 'ms';

/**
 * When to try a message again: delays after each failed attempt. Svix's schedule is
 * immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts in all.
 */
export const SVIX_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

export class RetrySchedule {
  constructor(readonly delaysMs: readonly number[] = SVIX_RETRY_SCHEDULE_MS) {}

  /** The longest delay: the cap on the overload penalty (see `retryDelay`). */
  get maxDelayMs(): number {
    return this.delaysMs.reduce((m, d) => Math.max(m, d), 0);
  }

  /** Delay before attempt `attempt + 1`, after attempt number `attempt` (1-based) failed; undefined when exhausted. */
  delayAfter(attempt: number): number | undefined {
    return this.delaysMs[attempt - 1];
  }

  /** "5s,5m,30m" or "5000,300000" -> RetrySchedule; throws a readable message on a bad entry. */
  static parse(text: string): RetrySchedule {
    const parts = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const delays = parts.map((p) => {
      const n = /^\d+$/.test(p) ? Number(p) : ms(p as ms.StringValue);
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
        throw new Error(`"${p}" is not a duration (use 500ms, 5s, 5m, 2h or milliseconds)`);
      return n;
    });
    return new RetrySchedule(delays);
  }
}

/**
 * `Retry-After` as seconds (fractions rounded up, as svix-server does) or an HTTP date, in ms
 * from `now` (0 for a time past); undefined when absent or unusable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(v)) return Math.max(0, Math.ceil(Number(v))) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
