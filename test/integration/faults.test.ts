import { Webhook as SvixWebhook } from 'svix';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_FAULTS, type FaultRule } from '../../src/faults/fault-plan.js';
import { json, testApp, type TestApp } from '../helpers.js';
import { startReceiver, whenLog, type Receiver } from '../receivers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function setup(faults: FaultRule[], options: Record<string, unknown> = {}) {
  const receiver = await startReceiver();
  const t = await testApp({
    webhookUrl: [receiver.url],
    webhookSecret: SECRET,
    processingMs: 1000,
    queueMs: 100,
    retrySchedule: '',
    faults,
    ...options,
  });
  open.push(receiver, t.app);
  return { receiver, t };
}
const submit = async (t: TestApp, headers: Record<string, string> = {}) =>
  (await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/invoice.pdf', async: true }, headers)).json()
    .job_id as string;
async function settle(t: TestApp, ms: number, step = 100) {
  const idle = () =>
    whenLog(
      t.runtime.dispatcher.log,
      () => t.runtime.dispatcher.log.counts().sending === 0,
      'attempts in flight',
      10_000,
    );
  for (let done = 0; done < ms; done += step) {
    await idle();
    await t.clock.advance(Math.min(step, ms - done));
  }
  await idle();
}
const verify = (r: Receiver['received'][number]) =>
  new SvixWebhook(SECRET).verify(r.body, r.headers as Record<string, string>);

describe('signature faults, as the svix verifier sees them', () => {
  const expected: Record<(typeof SIGNATURE_FAULTS)[number], string | null> = {
    'wrong-secret': 'No matching signature found',
    'tampered-body': 'No matching signature found',
    'malformed-header': 'No matching signature found',
    'missing-id': 'Missing required headers',
    'missing-timestamp': 'Missing required headers',
    'missing-signature': 'Missing required headers',
    'stale-timestamp': 'Message timestamp too old',
    'future-timestamp': 'Message timestamp too new',
    'unknown-version': 'No matching signature found',
    'valid-after-invalid': null,
    'non-numeric-timestamp': 'Invalid Signature Headers',
    'partial-signature': 'No matching signature found',
    'reserialized-body': 'No matching signature found',
    'v2-beside-v1': null,
  };
  it.each(SIGNATURE_FAULTS)('%s', async (variant) => {
    const { receiver, t } = await setup([
      { fault: { kind: 'signature', variant }, scope: { eventTypes: ['job.created'] } },
    ]);
    await submit(t);
    const [r] = await receiver.waitFor(1);
    const err = expected[variant];
    if (err === null) expect(verify(r!)).toMatchObject({ type: 'job.created' });
    else expect(() => verify(r!)).toThrow(err);
    const d = t.runtime.dispatcher.log.list()[0]!;
    await whenLog(t.runtime.dispatcher.log, () => d.attempts.length === 1);
    expect(d.attempts[0]?.fault).toContain(`bad signature: ${variant}`);
    if (variant === 'tampered-body') expect(JSON.parse(r!.body).data.status).toBe('failed'); // was "pending" when signed
    if (variant === 'unknown-version') expect(r!.headers['webhook-signature']).toMatch(/^v2,/);
    if (variant === 'valid-after-invalid') expect(String(r!.headers['webhook-signature']).split(' ')).toHaveLength(3);
  });

  it('only touches the scoped event type; the rest verify', async () => {
    const { receiver, t } = await setup(
      [{ fault: { kind: 'signature', variant: 'wrong-secret' }, scope: { eventTypes: ['job.processing'] } }],
      { processingMs: 10 },
    );
    await submit(t);
    await settle(t, 200, 50);
    const got = await receiver.waitFor(3);
    const ok = got.map((r) => {
      try {
        return (verify(r) as { type: string }).type;
      } catch {
        return 'rejected';
      }
    });
    expect(ok).toEqual(['job.created', 'rejected', 'job.completed']);
  });
});

describe('delivery faults on a real receiver', () => {
  it('duplicate: n extra copies with the same webhook-id, spaced as asked', async () => {
    const { receiver, t } = await setup(
      [{ fault: { kind: 'duplicate', copies: 2, spacingMs: 1000 }, scope: { eventTypes: ['job.created'] } }],
      { queueMs: 10_000_000 },
    );
    await submit(t);
    await receiver.waitFor(1);
    await settle(t, 999, 999);
    expect(receiver.received).toHaveLength(1);
    await settle(t, 1001, 1001);
    const got = await receiver.waitFor(3);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(verify(r)).toMatchObject({ type: 'job.created' });
    const log = t.runtime.dispatcher.log.list();
    expect(log.map((d) => d.faults[0])).toEqual([
      expect.stringMatching(/^duplicate x2/),
      'duplicate 1 of 2',
      'duplicate 2 of 2',
    ]);
    expect(log.every((d) => d.status === 'succeeded')).toBe(true);
  });

  it('delay: the first attempt waits a seeded time within the range', async () => {
    const { receiver, t } = await setup(
      [{ fault: { kind: 'delay', ms: [2000, 4000] }, scope: { eventTypes: ['job.created'] } }],
      { queueMs: 10_000_000 },
    );
    await submit(t);
    await settle(t, 1999, 1999);
    expect(receiver.received).toHaveLength(0);
    const d = t.runtime.dispatcher.log.list()[0]!;
    const wait = (d.nextAttemptAt as number) - d.createdAt;
    expect(wait).toBeGreaterThanOrEqual(2000);
    expect(wait).toBeLessThanOrEqual(4000);
    await settle(t, 2001, 2001);
    await receiver.waitFor(1);
    expect(d.faults[0]).toMatch(/^delay 2000-4000 ms/);
  });

  it('reorder: job.completed overtakes a held job.processing', async () => {
    const { receiver, t } = await setup([{ fault: { kind: 'reorder' }, scope: { eventTypes: ['job.processing'] } }]);
    await submit(t);
    await settle(t, 1100, 100);
    const types = (await receiver.waitFor(3)).map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(['job.created', 'job.completed', 'job.processing']);
  });

  it('drop: never sent, and recorded as dropped', async () => {
    const { receiver, t } = await setup([{ fault: { kind: 'drop' }, scope: { eventTypes: ['job.created'] } }], {
      processingMs: 10,
    });
    await submit(t);
    await settle(t, 200, 50);
    const types = (await receiver.waitFor(2)).map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(['job.processing', 'job.completed']);
    const dropped = t.runtime.dispatcher.log.list({ status: 'dropped' });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      eventType: 'job.created',
      attempts: [],
      reason: expect.stringMatching(/^dropped by fault: drop/),
    });
    expect(t.runtime.dispatcher.log.counts()).toMatchObject({ dropped: 1, succeeded: 2 });
  });

  it('scopes to one endpoint, and a seeded probability picks the same messages for the same seed', async () => {
    const run = async () => {
      const a = await startReceiver();
      const b = await startReceiver();
      const t = await testApp({ webhookUrl: [a.url, b.url], retrySchedule: '', seed: 42, queueMs: 10_000_000 });
      open.push(a, b, t.app);
      const target = t.runtime.endpoints.list()[0]!.id;
      t.runtime.faults.set([{ fault: { kind: 'drop' }, scope: { endpointId: target }, when: { probability: 0.5 } }]);
      for (let i = 0; i < 20; i++) await submit(t);
      await whenLog(
        t.runtime.dispatcher.log,
        () => t.runtime.dispatcher.log.counts().pending + t.runtime.dispatcher.log.counts().sending === 0,
      );
      const log = t.runtime.dispatcher.log.list();
      expect(log.filter((d) => d.endpointId !== target).every((d) => d.status === 'succeeded')).toBe(true);
      return log.filter((d) => d.status === 'dropped').map((d) => d.messageId);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(3);
    expect(first.length).toBeLessThan(17);
    expect(await run()).toEqual(first);
  });
});

describe('API faults', () => {
  it('answers chosen occurrences of a route with 429 + Retry-After in Pulse shape, and logs it', async () => {
    const { t } = await setup([
      { fault: { kind: 'api-error', status: 429, retryAfterS: 2 }, scope: { routes: ['poll'] }, when: { nth: [1, 2] } },
    ]);
    const id = await submit(t);
    const first = await json(t.app, 'GET', `/job/${id}`);
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('2');
    expect(first.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { injected: true } });
    expect((await json(t.app, 'GET', `/job/${id}`)).statusCode).toBe(429);
    expect((await json(t.app, 'GET', `/job/${id}`)).statusCode).toBe(200);
    const polls = t.runtime.requests.list({ route: 'poll', jobId: id });
    expect(polls.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(polls[0]?.fault).toMatch(/API 429/);
  });

  it('answers 500 and 503 on the routes in scope only, and adds latency', async () => {
    const { t } = await setup([
      { fault: { kind: 'api-error', status: 503, retryAfterS: 1 }, scope: { routes: ['extract'] }, when: { nth: [1] } },
      { fault: { kind: 'api-error', status: 500 }, scope: { routes: ['cancel'] } },
      { fault: { kind: 'api-latency', ms: 60 }, scope: { routes: ['webhook'] } },
    ]);
    const r1 = await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', async: true });
    expect(r1.statusCode).toBe(503);
    expect(r1.json().error.code).toBe('SERVICE_UNAVAILABLE');
    const id = await submit(t);
    expect((await json(t.app, 'DELETE', `/job/${id}`)).statusCode).toBe(500);
    expect((await json(t.app, 'GET', `/job/${id}`)).json().status).toBe('pending'); // the cancel never happened
    expect((await json(t.app, 'POST', '/webhook')).statusCode).toBe(200);
    const link = t.runtime.requests.list({ route: 'webhook' })[0]!;
    expect(link.fault).toMatch(/API latency 60 ms/);
    expect(link.ms).toBeGreaterThanOrEqual(55);
  });
});

describe('fault rules through the admin API', () => {
  it('adds, lists with explanations, replaces and removes rules; rejects bad ones with a 400', async () => {
    const { t } = await setup([]);
    const added = await t.app.inject({
      method: 'POST',
      url: '/_mock/faults',
      payload: { fault: { kind: 'drop' }, when: { probability: 0.25 } },
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ id: expect.any(String), explanation: 'drop (p=0.25)' });
    const put = await t.app.inject({
      method: 'PUT',
      url: '/_mock/faults',
      payload: { rules: [{ id: 'dup', fault: { kind: 'duplicate', copies: 3 } }] },
    });
    expect(put.json().data.map((r: { id: string }) => r.id)).toEqual(['dup']);
    expect((await t.app.inject({ method: 'DELETE', url: '/_mock/faults/dup' })).json()).toEqual({
      id: 'dup',
      deleted: true,
    });
    expect((await t.app.inject({ method: 'GET', url: '/_mock/faults' })).json().data).toEqual([]);
    for (const payload of [
      { fault: { kind: 'explode' } },
      { fault: { kind: 'duplicate', copies: 0 } },
      { fault: { kind: 'drop' }, when: { probability: 2 } },
      { fault: { kind: 'signature', variant: 'nope' } },
    ]) {
      const bad = await t.app.inject({ method: 'POST', url: '/_mock/faults', payload });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/Invalid fault rule: rule\[0\]\./);
    }
    expect((await t.app.inject({ method: 'DELETE', url: '/_mock/faults/none' })).statusCode).toBe(404);
  });
});
