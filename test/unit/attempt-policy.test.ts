import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { decideAttempt, type AttemptContext } from '../../src/delivery/attempt-policy.js';
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

  it('4xx, 5xx, a timeout and a network error are retried on the schedule', () => {
    for (const r of [
      answer(400),
      answer(401),
      answer(404),
      answer(500),
      answer(503),
      { error: 'timeout: 15000 ms' },
      { error: 'network error: ECONNREFUSED' },
    ])
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

  it('honours Retry-After (seconds or an HTTP date) on 429, 502, 503 and 504, capped at the longest delay', () => {
    const now = ctx().now;
    for (const s of [429, 502, 503, 504]) {
      expect(decideAttempt(answer(s, { 'retry-after': '120' }), ctx())).toEqual({ outcome: 'retry', delayMs: 120_000 });
      expect(decideAttempt(answer(s, { 'retry-after': new Date(now + 90_000).toUTCString() }), ctx())).toEqual({
        outcome: 'retry',
        delayMs: 90_000,
      });
    }
    expect(decideAttempt(answer(429, { 'retry-after': String(7 * 86_400) }), ctx())).toEqual({
      outcome: 'retry',
      delayMs: 36_000_000,
    });
    expect(decideAttempt(answer(429, { 'retry-after': 'soon' }), ctx())).toEqual({ outcome: 'retry', delayMs: 5_000 });
    // Not on other statuses.
    expect(decideAttempt(answer(500, { 'retry-after': '120' }), ctx())).toEqual({ outcome: 'retry', delayMs: 5_000 });
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
  function setup(answers: (req: OutgoingDelivery, n: number) => TransportResponse | Error) {
    const clock = new ManualClock();
    const sent: OutgoingDelivery[] = [];
    const config = resolveConfig({
      env: {},
      options: { seed: 3, webhookUrl: ['http://consumer.test/hook'], queueMs: 0, processingMs: 0 },
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
