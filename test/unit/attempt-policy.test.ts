import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { decideAttempt, jitterDraw, type AttemptContext } from '../../src/delivery/attempt-policy.js';
import { RetrySchedule, SVIX_RETRY_SCHEDULE_MS } from '../../src/delivery/retry-schedule.js';
import type { OutgoingDelivery, TransportResponse } from '../../src/delivery/transport.js';
import { createRuntime } from '../../src/runtime.js';

/** Svix's delivery semantics (shared/webhooks.md), row by row, without a socket. */
const svix = new RetrySchedule();
const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({
  scheduledAttempts: 1,
  trigger: 'scheduled',
  schedule: svix,
  now: Date.UTC(2026, 0, 1),
  jitter: 0,
  draw: 0.5,
  ...over,
});
const answer = (status: number, headers: Record<string, string> = {}) => ({
  status,
  header: (n: string) => headers[n.toLowerCase()],
});

describe('the attempt policy (pure)', () => {
  it('a 2xx succeeds', () => {
    for (const s of [200, 201, 204, 299]) expect(decideAttempt(answer(s), ctx())).toEqual({ outcome: 'succeeded' });
  });

  it('a 3xx is a failure, retried on the schedule (redirects are not followed)', () => {
    for (const s of [301, 302, 307, 308])
      expect(decideAttempt(answer(s, { location: 'http://x/' }), ctx())).toEqual({ outcome: 'retry', delayMs: 5_000 });
  });

  it('4xx, 5xx and a network error are retried on the schedule', () => {
    for (const r of [answer(400), answer(401), answer(404), answer(500), answer(503), { error: 'network error: x' }])
      expect(decideAttempt(r, ctx())).toEqual({ outcome: 'retry', delayMs: 5_000 });
  });

  it("walks Svix's schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; after the 8th attempt the message fails as exhausted", () => {
    const delays = Array.from({ length: 7 }, (_, i) => decideAttempt(answer(500), ctx({ scheduledAttempts: i + 1 })));
    expect(delays.map((d) => (d.outcome === 'retry' ? d.delayMs : d.outcome))).toEqual([...SVIX_RETRY_SCHEDULE_MS]);
    expect(decideAttempt(answer(500), ctx({ scheduledAttempts: 8 }))).toEqual({
      outcome: 'failed',
      reason: 'exhausted: 8 attempts failed, the last with HTTP 500',
    });
    expect(decideAttempt({ error: 'timeout: 15000 ms' }, ctx({ scheduledAttempts: 8 }))).toMatchObject({
      reason: 'exhausted: 8 attempts failed, the last with timeout: 15000 ms',
    });
  });

  const delay = (r: Parameters<typeof decideAttempt>[0], over: Partial<AttemptContext> = {}) => {
    const d = decideAttempt(r, ctx(over));
    return d.outcome === 'retry' ? d.delayMs : d.outcome;
  };

  describe("svix-server's calculate_retry_delay, rule by rule", () => {
    it('Retry-After is read on any failed answer, not only 429/502/503/504', () => {
      for (const s of [301, 400, 404, 429, 500, 502, 503, 504])
        expect([s, delay(answer(s, { 'retry-after': '8' }))]).toEqual([s, s === 429 ? 60_000 : 8_000]);
    });

    it('it lengthens the scheduled delay up to twice it, never beyond', () => {
      expect(delay(answer(503, { 'retry-after': '9' }))).toBe(9_000);
      expect(delay(answer(503, { 'retry-after': '10' }))).toBe(10_000);
      expect(delay(answer(503, { 'retry-after': String(7 * 86_400) }))).toBe(10_000);
      expect(delay(answer(503, { 'retry-after': '3600' }), { scheduledAttempts: 2 })).toBe(600_000);
    });

    it('it never shortens the scheduled delay (0, 1 s, a date in the past)', () => {
      for (const v of ['0', '1', new Date(ctx().now - 60_000).toUTCString()])
        expect([v, delay(answer(503, { 'retry-after': v }), { scheduledAttempts: 2 })]).toEqual([v, 300_000]);
    });

    it('seconds (fractions rounded up) or an HTTP date; anything else is ignored', () => {
      expect(delay(answer(500, { 'retry-after': '6.1' }))).toBe(7_000);
      expect(delay(answer(500, { 'retry-after': new Date(ctx().now + 8_000).toUTCString() }))).toBe(8_000);
      for (const v of ['soon', '', '-5', '1e3x'])
        expect([v, delay(answer(500, { 'retry-after': v }))]).toEqual([v, 5_000]);
    });

    it('after a timeout or a 429 the delay is at least 60 s; a Retry-After then counts from there', () => {
      expect(delay({ error: 'timeout: 15000 ms', timedOut: true })).toBe(60_000);
      expect(delay(answer(429))).toBe(60_000);
      expect(delay(answer(429, { 'retry-after': '90' }))).toBe(90_000);
      expect(delay(answer(429, { 'retry-after': '600' }))).toBe(120_000);
      // Not after other failures, nor once the schedule waits longer anyway.
      expect(delay(answer(503))).toBe(5_000);
      expect(delay({ error: 'network error: ECONNREFUSED' })).toBe(5_000);
      expect(delay(answer(429), { scheduledAttempts: 2 })).toBe(300_000);
    });

    it("the 60 s floor is at most the schedule's longest delay: a fast test schedule stays fast", () => {
      const fast = new RetrySchedule([250, 500, 1000, 2000]);
      expect(delay(answer(429), { schedule: fast })).toBe(2_000);
      expect(delay({ error: 'timeout', timedOut: true }, { schedule: fast, scheduledAttempts: 2 })).toBe(2_000);
      expect(delay(answer(429), { schedule: new RetrySchedule([1000, 120_000]) })).toBe(60_000);
    });

    it('every delay then strays by up to +/- jitter, last (after the clamp)', () => {
      expect(delay(answer(500), { jitter: 0.2, draw: 0 })).toBe(4_000);
      expect(delay(answer(500), { jitter: 0.2, draw: 1 })).toBe(6_000);
      expect(delay(answer(500), { jitter: 0.2, draw: 0.5 })).toBe(5_000);
      expect(delay(answer(500, { 'retry-after': '60' }), { jitter: 0.2, draw: 1 })).toBe(12_000);
      expect(delay(answer(429), { jitter: 0.5, draw: 0 })).toBe(30_000);
      expect(delay(answer(500), { jitter: 0, draw: 1 })).toBe(5_000);
    });

    it("the jitter's draw is hashed from the seed, the delivery and the attempt: replayable, spread over [0, 1]", () => {
      expect(jitterDraw(7, 'msg_1/ep_1', 1)).toBe(jitterDraw(7, 'msg_1/ep_1', 1));
      const draws = Array.from({ length: 400 }, (_, i) => jitterDraw(7, `msg_${i}/ep_1`, 1 + (i % 7)));
      expect(draws.every((d) => d >= 0 && d <= 1)).toBe(true);
      expect(Math.min(...draws)).toBeLessThan(0.05);
      expect(Math.max(...draws)).toBeGreaterThan(0.95);
      expect(new Set(draws).size).toBe(400);
      expect(jitterDraw(8, 'msg_1/ep_1', 1)).not.toBe(jitterDraw(7, 'msg_1/ep_1', 1));
      expect(jitterDraw(7, 'msg_1/ep_1', 2)).not.toBe(jitterDraw(7, 'msg_1/ep_1', 1));
    });
  });

  it('a 410 Gone fails the message and disables the endpoint', () => {
    expect(decideAttempt(answer(410), ctx())).toEqual({
      outcome: 'failed',
      reason: 'endpoint answered 410 Gone; the endpoint is now disabled',
      disableEndpoint: 'the endpoint answered 410 Gone',
    });
  });

  it('webhook-delivery: abort-message stops the retries of that message', () => {
    for (const v of ['abort-message', 'Abort-Message'])
      expect(decideAttempt(answer(500, { 'webhook-delivery': v }), ctx())).toEqual({
        outcome: 'failed',
        reason: 'the receiver asked to stop retrying (webhook-delivery: abort-message)',
      });
  });

  it('a manual resend or recovery is one attempt, never retried', () => {
    expect(decideAttempt(answer(500), ctx({ trigger: 'resend' }))).toEqual({
      outcome: 'failed',
      reason: 'manual resend failed: HTTP 500',
    });
    expect(decideAttempt({ error: 'network error: ECONNRESET' }, ctx({ trigger: 'recover' }))).toEqual({
      outcome: 'failed',
      reason: 'manual recover failed: network error: ECONNRESET',
    });
    expect(decideAttempt(answer(204), ctx({ trigger: 'resend' }))).toEqual({ outcome: 'succeeded' });
  });
});

describe('the dispatcher applies it, with a fake transport and a manual clock', () => {
  function setup(
    answers: (req: OutgoingDelivery, n: number) => TransportResponse | Error,
    options: Record<string, unknown> = { retryJitter: 0 },
  ) {
    const clock = new ManualClock();
    const sent: OutgoingDelivery[] = [];
    const config = resolveConfig({
      env: {},
      options: { seed: 3, webhookUrl: ['http://consumer.test/hook'], queueMs: 0, processingMs: 0, ...options },
    });
    const runtime = createRuntime(config, {
      clock,
      wallClock: clock,
      transport: async (req) => {
        sent.push(req);
        const a = answers(req, sent.length);
        if (a instanceof Error) throw a;
        return a;
      },
    });
    // The first attempt goes out at once; let it answer before walking the timers it sets.
    const settle = async () => {
      await clock.advance(0);
      await clock.runAll();
    };
    return { clock, sent, runtime, settle };
  }
  const reply = (status: number, headers: Record<string, string> = {}): TransportResponse => ({
    status,
    header: (n) => headers[n],
    body: '',
  });

  it('walks the whole schedule on mock time: 8 attempts, one webhook-id, fresh timestamps, then exhausted', async () => {
    const { settle, sent, runtime } = setup(() => reply(503));
    const [d] = runtime.dispatcher.publish({ type: 'job.completed', payload: { type: 'job.completed', data: {} } });
    await settle();
    expect(d).toMatchObject({ status: 'failed', reason: 'exhausted: 8 attempts failed, the last with HTTP 503' });
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const at = d!.attempts.map((a) => a.at - d!.attempts[0]!.at);
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([...SVIX_RETRY_SCHEDULE_MS]);
    expect(new Set(sent.map((r) => r.headers['webhook-timestamp'])).size).toBe(8);
    runtime.close();
  });

  it('recovers when the consumer comes back, and honours its Retry-After', async () => {
    const { settle, sent, runtime } = setup((_r, n) =>
      n === 1 ? reply(429, { 'retry-after': '60' }) : n === 2 ? new Error('ECONNRESET') : reply(200),
    );
    const [d] = runtime.dispatcher.publish({ type: 'job.completed', payload: {} });
    await settle();
    expect(d).toMatchObject({ status: 'succeeded' });
    expect(d!.attempts.map((a) => [a.status, a.error?.split(':')[0], a.retryInMs])).toEqual([
      [429, undefined, 60_000],
      [undefined, 'network error', 300_000],
      [200, undefined, undefined],
    ]);
    expect(sent).toHaveLength(3);
    runtime.close();
  });

  it("by default each delay strays up to 20% from Svix's, the same for the same seed, not for another", async () => {
    const gaps = async (options: Record<string, unknown>) => {
      const { settle, runtime } = setup(() => reply(503), options);
      const [d] = runtime.dispatcher.publish({ type: 'job.completed', payload: {} });
      await settle();
      runtime.close();
      const at = d!.attempts.map((a) => a.at);
      return at.slice(1).map((t, i) => t - at[i]!);
    };
    const a = await gaps({});
    expect(a).toHaveLength(7);
    a.forEach((gap, i) => {
      const svixDelay = SVIX_RETRY_SCHEDULE_MS[i]!;
      expect(gap).toBeGreaterThanOrEqual(svixDelay * 0.8);
      expect(gap).toBeLessThanOrEqual(svixDelay * 1.2);
    });
    expect(a).not.toEqual([...SVIX_RETRY_SCHEDULE_MS]);
    expect(await gaps({})).toEqual(a);
    expect(await gaps({ seed: 4 })).not.toEqual(a);
    expect(await gaps({ retryJitter: 0 })).toEqual([...SVIX_RETRY_SCHEDULE_MS]);
  });

  it('a 410 disables the endpoint: later messages are not sent', async () => {
    const { settle, sent, runtime } = setup(() => reply(410));
    const [first] = runtime.dispatcher.publish({ type: 'job.completed', payload: {} });
    await settle();
    expect(first).toMatchObject({ status: 'failed' });
    expect(runtime.endpoints.list()[0]).toMatchObject({
      disabled: true,
      disabledReason: 'the endpoint answered 410 Gone',
    });
    const [second] = runtime.dispatcher.publish({ type: 'job.completed', payload: {} });
    await settle();
    expect(second).toMatchObject({ status: 'failed', reason: expect.stringMatching(/endpoint is disabled/) });
    expect(sent).toHaveLength(1);
    runtime.close();
  });
});
