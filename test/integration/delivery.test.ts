import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { json, testApp, type TestApp } from '../helpers.js';
import { startReceiver, whenLog, type Receiver } from '../receivers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function setup(options: Record<string, unknown>, answer?: Receiver['answer']) {
  const receiver = await startReceiver(answer);
  const t = await testApp({
    webhookUrl: [receiver.url],
    webhookSecret: SECRET,
    processingMs: 1000,
    queueMs: 100,
    ...options,
  });
  open.push(receiver, t.app);
  return { receiver, t };
}

async function runJob(t: TestApp, headers: Record<string, string> = {}) {
  const id = (
    await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/invoice.pdf', async: true }, headers)
  ).json().job_id as string;
  return id;
}

/** Advances mock time step by step, letting real HTTP attempts finish in between. */
async function advanceSettled(t: TestApp, ms: number, step = ms) {
  const settled = () =>
    whenLog(
      t.runtime.dispatcher.log,
      () => t.runtime.dispatcher.log.counts().sending === 0,
      'attempts in flight',
      10_000,
    );
  for (let done = 0; done < ms; done += step) {
    await settled();
    await t.clock.advance(Math.min(step, ms - done));
  }
  await settled();
}

describe('webhook delivery', () => {
  it('delivers every job event, signed so that svix and standardwebhooks verify it, and GET /job agrees', async () => {
    const { receiver, t } = await setup({});
    const jobId = await runJob(t);
    await receiver.waitFor(1);
    await advanceSettled(t, 1100, 100);
    const got = await receiver.waitFor(3);
    const events = got.map((r) => {
      const headers = {
        'webhook-id': r.headers['webhook-id'] as string,
        'webhook-timestamp': r.headers['webhook-timestamp'] as string,
        'webhook-signature': r.headers['webhook-signature'] as string,
      };
      const a = new SvixWebhook(SECRET).verify(r.body, headers) as { type: string };
      const b = new StandardWebhook(SECRET).verify(r.body, headers) as { type: string };
      expect(b).toEqual(a);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toMatch(/^pulse-mock\//);
      expect(headers['webhook-id']).toMatch(/^msg_[0-9A-Za-z]{27}$/);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30); // wall clock, not the manual clock
      return a as { type: string; timestamp: string; data: Record<string, unknown> };
    });
    expect(events.map((e) => e.type)).toEqual(['job.created', 'job.processing', 'job.completed']);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(3);
    const completed = events[2] as (typeof events)[number];
    expect(completed.data).toEqual({ job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 1.1 });
    expect(completed.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await json(t.app, 'GET', `/job/${jobId}`)).json().status).toBe('completed');
  });

  it('sends job.failed with data.error and job.cancelled', async () => {
    const { receiver, t } = await setup({});
    await runJob(t, { 'x-pulse-mock-outcome': 'failed', 'x-pulse-mock-error': 'PDF is corrupt' });
    const cancelId = await runJob(t);
    await receiver.waitFor(2);
    await json(t.app, 'DELETE', `/job/${cancelId}`);
    await advanceSettled(t, 1100, 100);
    const bodies = (await receiver.waitFor(5)).map((r) => JSON.parse(r.body));
    expect(bodies.find((b) => b.type === 'job.failed').data).toMatchObject({
      status: 'failed',
      error: 'PDF is corrupt',
    });
    expect(bodies.find((b) => b.type === 'job.cancelled').data).toMatchObject({ job_id: cancelId, status: 'canceled' });
  });

  it('uses svix-* headers with --header-prefix svix', async () => {
    const { receiver, t } = await setup({ headerPrefix: 'svix' });
    await runJob(t);
    const [r] = await receiver.waitFor(1);
    expect(r?.headers['webhook-id']).toBeUndefined();
    expect(new SvixWebhook(SECRET).verify(r!.body, r!.headers as Record<string, string>)).toMatchObject({
      type: 'job.created',
    });
  });

  it('honours event filters, custom headers and basic auth per endpoint', async () => {
    const receiver = await startReceiver();
    const t = await testApp({
      endpoints: [
        {
          url: receiver.url,
          eventTypes: ['job.completed'],
          headers: { 'x-tenant': 'acme' },
          basicAuth: { username: 'u', password: 'p' },
        },
      ],
      processingMs: 10,
    });
    open.push(receiver, t.app);
    await runJob(t);
    await advanceSettled(t, 200, 50);
    const [r] = await receiver.waitFor(1);
    expect(JSON.parse(r!.body).type).toBe('job.completed');
    expect(r!.headers['x-tenant']).toBe('acme');
    expect(r!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    // Only job.completed went out; created and processing never reached this endpoint.
    expect(receiver.received).toHaveLength(1);
    expect(t.runtime.dispatcher.log.list()).toHaveLength(1);
  });

  it('does not deliver anything for a synchronous extract', async () => {
    const { receiver, t } = await setup({});
    await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf' });
    await advanceSettled(t, 5000, 1000);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('retries (Svix semantics)', () => {
  // Exact delays here (--retry-jitter 0): the jitter has its own tests, in attempt-policy.test.ts.
  it("walks Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then marks the message failed", async () => {
    // Wall time is manual too here, so each attempt's signed timestamp shows it was re-made.
    const wall = new ManualClock(Date.now());
    const receiver = await startReceiver(() => ({ status: 500, body: 'down' }));
    const t = await testApp({ webhookUrl: [receiver.url], webhookSecret: SECRET, retryJitter: 0 }, { wallClock: wall });
    open.push(receiver, t.app);
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    const d = t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
    for (const [i, delay] of schedule.entries()) {
      await whenLog(
        t.runtime.dispatcher.log,
        () => d.status === 'pending' && d.attempts.length === i + 1,
        `attempt ${i + 1}`,
        5000,
      );
      expect(d.attempts[i]?.retryInMs).toBe(delay);
      await t.clock.advance(delay - 1);
      expect(d.attempts).toHaveLength(i + 1); // not a millisecond early
      await wall.advance(delay);
      await t.clock.advance(1);
    }
    await whenLog(t.runtime.dispatcher.log, () => d.status === 'failed', 'exhaustion', 5000);
    expect(d.attempts).toHaveLength(8);
    expect(d.reason).toMatch(/exhausted: 8 attempts failed, the last with HTTP 500/);
    // One webhook-id throughout; a fresh timestamp (and so signature) per attempt.
    const sent = receiver.received.filter((r) => r.headers['webhook-id'] === d.messageId);
    expect(sent).toHaveLength(8);
    const stamps = sent.map((r) => Number(r.headers['webhook-timestamp']));
    expect(stamps.slice(1).map((s, i) => s - (stamps[i] as number))).toEqual(schedule.map((ms) => ms / 1000));
    expect(new Set(sent.map((r) => r.headers['webhook-signature'])).size).toBe(8);
  });

  it('takes a custom --retry-schedule', async () => {
    const { receiver, t } = await setup({ retrySchedule: '1s,2s', retryJitter: 0 }, () => ({ status: 503 }));
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    await advanceSettled(t, 3000, 500);
    const d = t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    expect(d.attempts.map((a) => a.retryInMs ?? null)).toEqual([1000, 2000, null]);
    expect(d.status).toBe('failed');
  });

  it('reads Retry-After on any failure, as svix-server: it can lengthen a delay up to twice it, never shorten it', async () => {
    let created = 0;
    const { receiver, t } = await setup({ retryJitter: 0 }, (r) => {
      if (!r.body.includes('"job.created"')) return { status: 200 };
      created++;
      if (created === 1) return { status: 500, headers: { 'retry-after': '8' } };
      return created === 2 ? { status: 429, headers: { 'retry-after': '42' } } : { status: 200 };
    });
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    const d = t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    await whenLog(t.runtime.dispatcher.log, () => d.status === 'pending' && d.attempts.length === 1);
    expect(d.attempts[0]?.retryInMs).toBe(8_000);
    await t.clock.advance(7_999);
    expect(d.attempts).toHaveLength(1);
    await t.clock.advance(1);
    await whenLog(t.runtime.dispatcher.log, () => d.status === 'pending' && d.attempts.length === 2);
    // 5 min scheduled; the 429 asks for 42 s, which cannot shorten it.
    expect(d.attempts[1]?.retryInMs).toBe(300_000);
    await t.clock.advance(300_000);
    await whenLog(t.runtime.dispatcher.log, () => d.status === 'succeeded');
  });

  it('disables the endpoint on 410 Gone: nothing more is sent to it', async () => {
    const { receiver, t } = await setup({}, () => ({ status: 410 }));
    await runJob(t);
    await receiver.waitFor(1);
    await advanceSettled(t, 1100, 100);
    const ep = t.runtime.endpoints.list()[0]!;
    expect(ep.disabled).toBe(true);
    expect(receiver.received).toHaveLength(1);
    const log = t.runtime.dispatcher.log.list();
    expect(log.map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);
    expect(log[0]?.reason).toMatch(/410 Gone/);
    expect(log[2]?.reason).toMatch(/endpoint is disabled/);
  });

  it('stops retrying a message when the receiver answers webhook-delivery: abort-message', async () => {
    const { receiver, t } = await setup({}, () => ({ status: 500, headers: { 'webhook-delivery': 'abort-message' } }));
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    await advanceSettled(t, 600_000, 100_000);
    const d = t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    expect(d.status).toBe('failed');
    expect(d.attempts).toHaveLength(1);
    expect(d.reason).toMatch(/abort-message/);
  });

  it('counts a 3xx as a failure and does not follow it', async () => {
    const other = await startReceiver();
    open.push(other);
    const { receiver, t } = await setup({ retryJitter: 0 }, () => ({ status: 302, headers: { location: other.url } }));
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    const d = t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    await whenLog(t.runtime.dispatcher.log, () => d.status === 'pending' && d.attempts.length === 1);
    expect(d.attempts[0]?.status).toBe(302);
    expect(d.attempts[0]?.retryInMs).toBe(5000);
    expect(other.received).toHaveLength(0);
  });

  it('fails an attempt that gets no answer within --delivery-timeout-ms, and retries', async () => {
    const { receiver, t } = await setup({ deliveryTimeoutMs: 150, retryJitter: 0 }, (_r, i) =>
      i === 0 ? { delayMs: 'hang' } : { status: 204 },
    );
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    const d = await (async () => {
      await receiver.waitFor(1);
      return t.runtime.dispatcher.log.list({ eventType: 'job.created' })[0]!;
    })();
    await whenLog(t.runtime.dispatcher.log, () => d.attempts.length === 1, 'timeout', 5000);
    expect(d.attempts[0]?.error).toMatch(/^timeout: no response within 150 ms/);
    // After a timeout svix-server waits at least a minute, not the schedule's 5 s.
    expect(d.attempts[0]?.retryInMs).toBe(60_000);
    await advanceSettled(t, 59_000, 1_000);
    expect(d.attempts).toHaveLength(1);
    await advanceSettled(t, 1_000);
    expect(d.status).toBe('succeeded');
  });

  it('delivers every message to a consumer that is down at first and comes back', async () => {
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close(); // nothing listens here now: connection refused
    const t = await testApp({ webhookUrl: [`http://127.0.0.1:${port}/hook`], processingMs: 1000, queueMs: 100 });
    open.push(t.app);
    await runJob(t);
    await advanceSettled(t, 1100, 100);
    const log = t.runtime.dispatcher.log;
    expect(log.counts()).toMatchObject({ pending: 3, succeeded: 0 });
    expect(log.list()[0]?.attempts[0]?.error).toMatch(/network error: ECONNREFUSED/);
    const back = await startReceiver(() => ({ status: 200 }), port);
    open.push(back);
    await advanceSettled(t, 400_000, 5_000);
    expect(log.counts()).toMatchObject({ pending: 0, sending: 0, succeeded: 3, failed: 0 });
    expect(back.received.map((r) => JSON.parse(r.body).type).sort()).toEqual([
      'job.completed',
      'job.created',
      'job.processing',
    ]);
  });

  it('keeps a slow endpoint from delaying another', async () => {
    const slow = await startReceiver(() => ({ delayMs: 'hang' }));
    const fast = await startReceiver();
    const t = await testApp({
      webhookUrl: [slow.url, fast.url],
      deliveryConcurrency: 1,
      deliveryTimeoutMs: 60_000,
      processingMs: 10,
      queueMs: 10,
    });
    open.push(slow, fast, t.app);
    await runJob(t);
    await t.clock.advance(30);
    await fast.waitFor(3);
    expect(slow.received).toHaveLength(1); // its lane is still busy with the first message
  });

  it('reports what is still pending on shutdown', async () => {
    const { receiver, t } = await setup({}, () => ({ status: 500 }));
    await runJob(t, { 'x-pulse-mock-processing-ms': '86400000' });
    await receiver.waitFor(1);
    await whenLog(
      t.runtime.dispatcher.log,
      () => t.runtime.dispatcher.log.counts().pending === 1 && t.runtime.dispatcher.log.counts().sending === 0,
    );
    expect(t.runtime.close()).toEqual({ pending: 1, sending: 0 });
  });
});

describe('secret rotation', () => {
  it('signs with both secrets during the grace window, then with the new one only', async () => {
    const { receiver, t } = await setup({ queueMs: 90_000, processingMs: 1_000_000 });
    const ep = t.runtime.endpoints.list()[0]!;
    const rotated = (
      await t.app.inject({
        method: 'POST',
        url: `/_mock/endpoints/${ep.id}/rotate-secret`,
        payload: { graceMs: 60_000 },
      })
    ).json();
    expect(rotated.secret).not.toBe(SECRET);
    expect(rotated.previousSecrets).toEqual([{ secret: SECRET, expiresAt: expect.any(String) }]);
    await runJob(t);
    const [during] = await receiver.waitFor(1);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [rotated.secret, SECRET])
      expect(new SvixWebhook(secret).verify(during!.body, during!.headers as Record<string, string>)).toBeTruthy();

    await t.clock.advance(90_000);
    await receiver.waitFor(2); // job.processing, after the 60 s window
    const after = receiver.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(
      new StandardWebhook(rotated.secret).verify(after.body, after.headers as Record<string, string>),
    ).toBeTruthy();
    expect(() => new StandardWebhook(SECRET).verify(after.body, after.headers as Record<string, string>)).toThrow(
      /No matching signature/,
    );
  });
});

describe('delivery log and admin API', () => {
  it('lists messages with attempts, filters them, resends with the same id and a fresh timestamp, and recovers failures', async () => {
    let up = false;
    const { receiver, t } = await setup({ retrySchedule: '' }, () => ({
      status: up ? 200 : 503,
      body: up ? 'thanks' : 'maintenance',
    }));
    const jobId = await runJob(t);
    await receiver.waitFor(1);
    await advanceSettled(t, 1100, 100);
    const list = (await t.app.inject({ method: 'GET', url: `/_mock/messages?jobId=${jobId}&status=failed` })).json();
    expect(list.data).toHaveLength(3);
    expect(list.counts).toMatchObject({ failed: 3, pending: 0 });
    const first = list.data[0];
    expect(first).toMatchObject({
      eventType: 'job.created',
      jobId,
      status: 'failed',
      attempts: [{ n: 1, status: 503, responseBody: 'maintenance' }],
    });
    expect(
      (await t.app.inject({ method: 'GET', url: '/_mock/messages?eventType=job.completed' })).json().data,
    ).toHaveLength(1);

    up = true;
    const resent = await t.app.inject({ method: 'POST', url: `/_mock/messages/${first.id}/resend` });
    expect(resent.statusCode).toBe(202);
    await whenLog(
      t.runtime.dispatcher.log,
      () => t.runtime.dispatcher.log.list({ messageId: first.id })[0]?.status === 'succeeded',
    );
    const again = receiver.received.filter((r) => r.headers['webhook-id'] === first.id);
    expect(again).toHaveLength(2);
    expect(again[1]?.body).toBe(again[0]?.body);

    const ep = t.runtime.endpoints.list()[0]!;
    const rec = (
      await t.app.inject({
        method: 'POST',
        url: `/_mock/endpoints/${ep.id}/recover`,
        payload: { since: new Date(0).toISOString() },
      })
    ).json();
    expect(rec.recovered).toBe(2);
    await whenLog(t.runtime.dispatcher.log, () => t.runtime.dispatcher.log.counts().succeeded === 3);
    expect(
      (await t.app.inject({ method: 'GET', url: `/_mock/messages/${first.id}` }))
        .json()
        .data[0].attempts.map((a: { trigger: string }) => a.trigger),
    ).toEqual(['scheduled', 'resend']);
  });

  it('pages the log newest first, searches by part of a job id, and counts the matches', async () => {
    const { receiver, t } = await setup({}, () => ({ status: 200 }));
    const jobs = [await runJob(t), await runJob(t), await runJob(t)];
    await advanceSettled(t, 1100, 100);
    await receiver.waitFor(9);
    const page = async (q: string) => (await t.app.inject({ method: 'GET', url: `/_mock/messages?${q}` })).json();
    const all = (await page('')).data.map((m: { id: string }) => m.id);
    expect(all).toHaveLength(9);

    const first = await page('order=desc&limit=4');
    expect(first.total).toBe(9);
    expect(first.data.map((m: { id: string }) => m.id)).toEqual(all.slice(-4).reverse());
    const last = await page('order=desc&limit=4&offset=8');
    expect(last.data.map((m: { id: string }) => m.id)).toEqual([all[0]]);
    // Oldest first, the same page: the same messages in the other order.
    expect((await page('limit=4&offset=4')).data.map((m: { id: string }) => m.id)).toEqual(all.slice(1, 5));

    const found = await page(`search=${jobs[1]!.slice(-8).toUpperCase()}&order=desc`);
    expect(found.total).toBe(3);
    expect(new Set(found.data.map((m: { jobId: string }) => m.jobId))).toEqual(new Set([jobs[1]]));
    const byMessage = await page(`search=${all[4]!.slice(4, 14)}`);
    expect(byMessage.data.map((m: { id: string }) => m.id)).toEqual([all[4]]);
    expect((await page('search=nothing-like-this')).total).toBe(0);
    const bad = await t.app.inject({ method: 'GET', url: '/_mock/messages?order=sideways' });
    expect(bad.statusCode).toBe(400);
  });

  it('manages endpoints at run time, with clear 4xx errors for bad input', async () => {
    const t = await testApp({});
    open.push(t.app);
    const receiver = await startReceiver();
    open.push(receiver);
    const created = await t.app.inject({
      method: 'POST',
      url: '/_mock/endpoints',
      payload: { url: receiver.url, eventTypes: ['job.created'], description: 'mine' },
    });
    expect(created.statusCode).toBe(201);
    const ep = created.json();
    expect(ep).toMatchObject({
      id: expect.stringMatching(/^ep_/),
      url: receiver.url,
      eventTypes: ['job.created'],
      secret: expect.stringMatching(/^whsec_/),
      disabled: false,
    });
    expect((await t.app.inject({ method: 'GET', url: '/_mock/endpoints' })).json().data).toHaveLength(1);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/_mock/endpoints/${ep.id}`,
      payload: { eventTypes: [], headers: { 'x-a': 'b' } },
    });
    expect(patched.json()).toMatchObject({ eventTypes: [], headers: { 'x-a': 'b' } });

    const test = await t.app.inject({
      method: 'POST',
      url: `/_mock/endpoints/${ep.id}/test`,
      payload: { eventType: 'job.failed' },
    });
    expect(test.statusCode).toBe(202);
    const [r] = await receiver.waitFor(1);
    expect(new SvixWebhook(ep.secret).verify(r!.body, r!.headers as Record<string, string>)).toMatchObject({
      type: 'job.failed',
      data: { error: 'Test failure' },
    });

    const bad = async (method: 'POST' | 'PATCH', url: string, payload: unknown, status: number, code: string) => {
      const res = await t.app.inject({ method, url, payload: payload as object });
      expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
      expect(res.json().error.code).toBe(code);
    };
    await bad('POST', '/_mock/endpoints', { url: 'not a url' }, 400, 'INVALID_PARAMETER');
    await bad(
      'POST',
      '/_mock/endpoints',
      { url: receiver.url, eventTypes: ['job.exploded'] },
      400,
      'INVALID_REQUEST_BODY',
    );
    await bad('POST', '/_mock/endpoints', { url: receiver.url, evenTypes: [] }, 400, 'INVALID_REQUEST_BODY');
    await bad('POST', '/_mock/endpoints', { url: receiver.url, secret: 'nope' }, 400, 'INVALID_PARAMETER');
    await bad(
      'POST',
      '/_mock/endpoints',
      { url: receiver.url, headers: { 'webhook-id': 'x' } },
      400,
      'INVALID_PARAMETER',
    );
    await bad('PATCH', '/_mock/endpoints/ep_missing', { description: 'x' }, 404, 'ENDPOINT_NOT_FOUND');
    await bad('POST', '/_mock/messages/msg_missing/resend', {}, 404, 'MESSAGE_NOT_FOUND');
    await bad('POST', `/_mock/endpoints/${ep.id}/recover`, { since: 'yesterday-ish' }, 400, 'INVALID_PARAMETER');
    expect((await t.app.inject({ method: 'DELETE', url: `/_mock/endpoints/${ep.id}` })).json()).toEqual({
      id: ep.id,
      deleted: true,
    });
    expect((await t.app.inject({ method: 'GET', url: '/_mock/endpoints' })).json().data).toHaveLength(0);
  });
});

/** Counts the submissions the runtime held back for the webhook backlog. */
function countHeld(t: TestApp): { held: number } {
  const counter = { held: 0 };
  const original = t.runtime.core.beforeSubmit;
  t.runtime.core.beforeSubmit = () => {
    const wait = original?.();
    if (wait) counter.held++;
    return wait;
  };
  return counter;
}

describe('webhook backlog (--max-backlog)', () => {
  it('holds async submissions while deliveries queue past the limit, and loses nothing', async () => {
    // A slow consumer, one delivery at a time: events pile up faster than they go out.
    const { receiver, t } = await setup({ maxBacklog: 6, deliveryConcurrency: 1, processingMs: 0, queueMs: 0 }, () => ({
      status: 200,
      delayMs: 20,
    }));
    const counter = countHeld(t);
    let maxBacklog = 0;
    t.runtime.core.onEvent(() => (maxBacklog = Math.max(maxBacklog, t.runtime.dispatcher.backlog)));
    const ids = await Promise.all(Array.from({ length: 12 }, () => runJob(t)));
    expect(counter.held).toBeGreaterThan(0);
    // The queue stayed near the limit instead of reaching 12 jobs × 3 events.
    expect(maxBacklog).toBeLessThan(6 + 3 * 2);
    await t.clock.advance(10);
    const got = await receiver.waitFor(36, 20_000);
    const jobsSeen = new Set(got.map((r) => (JSON.parse(r.body) as { data: { job_id: string } }).data.job_id));
    expect([...jobsSeen].sort()).toEqual([...ids].sort());
    await whenLog(
      t.runtime.dispatcher.log,
      () => t.runtime.dispatcher.log.counts().succeeded === 36,
      'all 36 deliveries succeeded',
      10_000,
    );
    expect(t.runtime.dispatcher.log.counts()).toMatchObject({ succeeded: 36, pending: 0, sending: 0, failed: 0 });
  }, 30_000);

  it('does not hold submissions for a consumer that is down (its deliveries wait for a retry, not in the queue)', async () => {
    const { receiver, t } = await setup({ maxBacklog: 2, processingMs: 0, queueMs: 0 });
    await receiver.close();
    const counter = countHeld(t);
    for (let i = 0; i < 10; i++) {
      await runJob(t);
      await whenLog(
        t.runtime.dispatcher.log,
        () => t.runtime.dispatcher.log.counts().sending === 0,
        'attempts made',
        10_000,
      );
    }
    expect(t.runtime.dispatcher.log.counts().pending).toBeGreaterThanOrEqual(10); // waiting for their retry
    expect(counter.held).toBe(0);
  }, 20_000);
});
