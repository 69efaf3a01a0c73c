import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPulseMock, ManualClock, type PulseMock } from '../../src/index.js';
import { LIMITS } from '../../src/api/limits.js';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import { startReceiver, type Receiver } from '../receivers.js';

/**
 * The controls in code and the admin API are bindings over one ControlService: a control driven
 * one way is seen the same way through the other, with the same checks and limits.
 */
describe('one control service behind the controls in code and the admin API', () => {
  const clock = new ManualClock();
  let mock: PulseMock;
  let receiver: Receiver;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${mock.url}/_mock${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

  beforeAll(async () => {
    receiver = await startReceiver();
    mock = await createPulseMock({ port: 0, apiKey: 'sk_ctl', seed: 31, clock, queueMs: 10, processingMs: 100 });
  });
  afterAll(async () => {
    await mock.close();
    await receiver.close();
  });

  it('endpoints: added in code, listed by the API; updated by the API, seen in code', async () => {
    const ep = mock.endpoints.add({ url: receiver.url, eventTypes: ['job.completed'] });
    expect((await admin('GET', '/endpoints')).body.data).toEqual(json([ep]));
    const patched = await admin('PATCH', `/endpoints/${ep.id}`, { description: 'from the API' });
    expect(mock.endpoints.get(ep.id)).toEqual(patched.body);
    expect(mock.endpoints.get(ep.id).description).toBe('from the API');
  });

  it('faults: added by the API, listed in code with the same explanation; one limit both ways', async () => {
    const added = await admin('POST', '/faults', {
      fault: { kind: 'api-latency', ms: 1 },
      scope: { routes: ['poll'] },
    });
    expect(added.status).toBe(201);
    expect(json(mock.faults.list())).toEqual([added.body]);
    mock.faults.set(Array.from({ length: LIMITS.faultRules }, () => ({ fault: { kind: 'api-latency', ms: 1 } })));
    expect(() => mock.faults.add({ fault: { kind: 'api-latency', ms: 1 } })).toThrow(
      `[pulse-mock] At most ${LIMITS.faultRules} fault rules are in force at once; remove some first.`,
    );
    expect((await admin('POST', '/faults', { fault: { kind: 'api-latency', ms: 1 } })).status).toBe(400);
    mock.faults.clear();
    expect((await admin('GET', '/faults')).body.data).toEqual([]);
  });

  it('jobs, messages and requests: the same views both ways', async () => {
    const res = await fetch(`${mock.url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk_ctl', 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: 'https://e.com/invoice.pdf', async: true }),
    });
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    await clock.advance(200);
    const delivered = await mock.waitForDelivery({ jobId, eventType: 'job.completed' });
    expect(delivered).toMatchObject({ jobId, status: 'succeeded' });
    // One message's route adds the headers its attempts carried besides the signature's.
    expect((await admin('GET', `/messages/${delivered.id}`)).body.data).toEqual(
      (json([delivered]) as object[]).map((d) => ({
        ...d,
        headers: { 'content-type': 'application/json', 'user-agent': expect.stringMatching(/^pulse-mock\//) },
      })),
    );
    expect((await admin('GET', `/messages?jobId=${jobId}`)).body.data).toEqual(json(mock.messages({ jobId })));
    expect((await admin('GET', '/jobs?status=completed')).body.data).toEqual(json(mock.jobs({ status: 'completed' })));
    expect(mock.jobs()).toEqual([expect.objectContaining({ id: jobId, kind: 'extract', status: 'completed' })]);
    expect((await admin('GET', '/requests?route=extract')).body.data).toEqual(
      json(mock.requests({ route: 'extract' })),
    );
    // 0.3's names stay readable for a release.
    expect([delivered.messageId, delivered.key]).toEqual([delivered.id, delivered.deliveryId]);
  });

  it('fault rules name routes the runtime serves, whichever way they come', async () => {
    const rule = { fault: { kind: 'drop' as const }, scope: { routes: ['extrakt'] } };
    expect(() => mock.faults.add(rule)).toThrow(
      /faults\[0\]\.scope\.routes\[0\]: no route is named "extrakt"; routes are extract, /,
    );
    expect((await admin('POST', '/faults', rule)).body.error.message).toMatch(/no route is named "extrakt"/);
    // The config is read without the operations; the runtime made from it checks the names.
    const config = resolveConfig({ env: {}, options: { faults: [rule] } });
    expect(() => createRuntime(config)).toThrow(ConfigError);
    expect(() => createRuntime(config)).toThrow(
      /^\[pulse-mock\] invalid faults\[0\]\.scope\.routes\[0\]: no route is named "extrakt"/,
    );
  });
});
