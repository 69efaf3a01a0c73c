import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ReorderHolds, shapeDelivery } from '../../src/delivery/fault-shaping.js';
import { EndpointLanes } from '../../src/delivery/lanes.js';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { EndpointRegistry } from '../../src/delivery/endpoints.js';
import { RetrySchedule } from '../../src/delivery/retry-schedule.js';
import type { OutgoingDelivery } from '../../src/delivery/transport.js';
import { IdSequence } from '../../src/core/random.js';
import type { Attempt, Delivery } from '../../src/delivery/types.js';
import { deliveryView } from '../../src/delivery/views.js';

/** The dispatcher's parts on their own, without sockets: fault shaping and the endpoint lanes. */
describe('shapeDelivery: how faults shape one delivery', () => {
  it('sends at once when no fault applies', () => {
    expect(shapeDelivery({ applied: [] }, true)).toEqual({ delayMs: 0, copies: [] });
  });

  it('drops whatever else applies', () => {
    expect(
      shapeDelivery(
        { drop: 'drop (always)', delayMs: 50, duplicate: { copies: 2, spacingMs: 5 }, applied: ['a', 'b'] },
        true,
      ),
    ).toEqual({ drop: 'dropped by fault: drop (always)' });
  });

  it('delays the delivery and its copies alike; copies follow spacingMs apart', () => {
    expect(shapeDelivery({ delayMs: 100, duplicate: { copies: 3, spacingMs: 10 }, applied: [] }, true)).toEqual({
      delayMs: 100,
      copies: [
        { delayMs: 110, note: 'duplicate 1 of 3' },
        { delayMs: 120, note: 'duplicate 2 of 3' },
        { delayMs: 130, note: 'duplicate 3 of 3' },
      ],
    });
  });

  it("holds a job's message for reorder on top of its delay, and a message with no job is only delayed", () => {
    const decision = { delayMs: 20, reorder: { maxHoldMs: 1000 }, applied: [] };
    expect(shapeDelivery(decision, true)).toEqual({ delayMs: 20, holdMs: 1020, copies: [] });
    expect(shapeDelivery(decision, false)).toEqual({ delayMs: 20, copies: [] });
  });
});

describe('ReorderHolds', () => {
  it('releases a held message early when a later message of its job goes out, and the others at their deadline', async () => {
    const clock = new ManualClock();
    const released: string[] = [];
    const holds = new ReorderHolds<{ messageId: string; createdAt: number }>(clock, (m, early) =>
      released.push(`${m.messageId}${early ? ' early' : ''}`),
    );
    holds.hold('job1/ep', { messageId: 'processing', createdAt: 50 }, 1000);
    holds.hold('job2/ep', { messageId: 'other', createdAt: 50 }, 500);
    holds.overtakenBy('job1/ep', { messageId: 'processing', createdAt: 50 }); // its own copy does not overtake it
    // An earlier message, still in flight when this one was held, went out first anyway.
    holds.overtakenBy('job1/ep', { messageId: 'created', createdAt: 0 });
    expect(released).toEqual([]);
    holds.overtakenBy('job1/ep', { messageId: 'completed', createdAt: 350 });
    expect(released).toEqual(['processing early']);
    await clock.advance(500);
    expect(released).toEqual(['processing early', 'other']);
    await clock.advance(1000);
    expect(released).toHaveLength(2); // the early one's timer was cancelled
  });

  it('forgets a job and endpoint once nothing is held for them (a long run with reorder faults does not grow)', async () => {
    const clock = new ManualClock();
    const holds = new ReorderHolds<{ messageId: string; createdAt: number }>(clock, () => {});
    for (let i = 0; i < 100; i++) holds.hold(`job${i}/ep`, { messageId: `m${i}`, createdAt: 0 }, 100);
    holds.overtakenBy('job0/ep', { messageId: 'later', createdAt: 1 });
    expect(holds.size).toBe(99);
    await clock.advance(100);
    expect(holds.size).toBe(0);
  });
});

describe('EndpointLanes', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs at most `concurrency` items per endpoint; a slow endpoint queues only its own', async () => {
    const running: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const lanes = new EndpointLanes<string>(
      2,
      (item) => {
        running.push(item);
        const g = deferred();
        gates.set(item, g);
        return g.promise;
      },
      () => {},
      new ManualClock(),
    );
    for (const i of [1, 2, 3, 4]) lanes.push('slow', `slow${i}`);
    lanes.push('fast', 'fast1');
    expect(running).toEqual(['slow1', 'slow2', 'fast1']);
    expect(lanes.backlog).toBe(2);
    gates.get('slow1')?.resolve();
    await gates.get('slow1')?.promise;
    await Promise.resolve();
    expect(running).toEqual(['slow1', 'slow2', 'fast1', 'slow3']);
    expect(lanes.backlog).toBe(1);
  });

  it('reports an attempt that threw and goes on with the next; roomFor resolves once the backlog falls under the mark', async () => {
    const crashed: string[] = [];
    const gate = deferred();
    const lanes = new EndpointLanes<string>(
      1,
      (item) => (item === 'bad' ? Promise.reject(new Error('boom')) : gate.promise),
      (item, e) => crashed.push(`${item}: ${(e as Error).message}`),
      new ManualClock(),
    );
    lanes.push('ep', 'bad');
    lanes.push('ep', 'a');
    lanes.push('ep', 'b');
    lanes.push('ep', 'c');
    await Promise.resolve();
    await Promise.resolve();
    expect(crashed).toEqual(['bad: boom']);
    expect(lanes.backlog).toBe(2);
    let room = false;
    const waiting = lanes.roomFor(2, 60_000).then(() => (room = true));
    expect(room).toBe(false);
    gate.resolve();
    await waiting;
    expect(room).toBe(true);
    expect(lanes.backlog).toBeLessThan(2);
  });
});

describe('Dispatcher: what it caches per endpoint follows the endpoint', () => {
  it('an updated endpoint gets the next event by its new event types, URL and headers', async () => {
    const clock = new ManualClock();
    const endpoints = new EndpointRegistry(clock, new IdSequence('parts'));
    const sent: OutgoingDelivery[] = [];
    const dispatcher = new Dispatcher({
      clock,
      wallClock: clock,
      endpoints,
      schedule: new RetrySchedule(),
      timeoutMs: 1000,
      headerPrefix: 'webhook',
      concurrency: 1,
      userAgent: 'pulse-mock/test',
      transport: async (req) => (sent.push(req), { status: 200, header: () => undefined, body: '' }),
    });
    const ep = endpoints.add({
      url: 'http://127.0.0.1:9/a',
      eventTypes: ['job.created'],
      headers: { 'X-Team': 'one' },
    });
    expect(dispatcher.publish({ type: 'job.failed', payload: {} })).toHaveLength(0);
    dispatcher.publish({ type: 'job.created', payload: {} });
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({
      url: 'http://127.0.0.1:9/a',
      headers: { 'x-team': 'one', 'content-type': 'application/json' },
    });

    endpoints.update(ep.id, {
      url: 'http://127.0.0.1:9/b',
      eventTypes: [],
      headers: { 'X-Team': 'two' },
      basicAuth: { username: 'u', password: 'p' },
    });
    expect(dispatcher.publish({ type: 'job.failed', payload: {} })).toHaveLength(1);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toMatchObject({
      url: 'http://127.0.0.1:9/b',
      headers: { 'x-team': 'two', authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
    });
    expect(sent[1]?.headers['webhook-signature']).toMatch(/^v1,/);
    dispatcher.close();
  });
});

describe('deliveryView: the signature headers an attempt was sent with', () => {
  const attempt = (more: Partial<Attempt>): Attempt => ({
    n: 1,
    trigger: 'scheduled',
    dueAt: 0,
    queuedAt: 0,
    at: 0,
    durationMs: 1,
    timestamp: 1_796_565_225,
    ...more,
  });
  const delivery = (attempts: Attempt[]): Delivery => ({
    key: 'msg_1/ep_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    url: 'http://127.0.0.1:9/hook',
    eventType: 'job.completed',
    body: '{}',
    status: 'succeeded',
    attempts,
    scheduledAttempts: 1,
    createdAt: 0,
    faults: [],
  });

  it('puts the usual three back together from the kept signature, by the mock’s header names', () => {
    const d = delivery([attempt({ signature: 'v1,abc=' })]);
    expect(deliveryView(d).attempts[0]!.requestHeaders).toEqual({
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1796565225',
      'webhook-signature': 'v1,abc=',
    });
    expect(deliveryView(d, 'svix').attempts[0]!.requestHeaders).toEqual({
      'svix-id': 'msg_1',
      'svix-timestamp': '1796565225',
      'svix-signature': 'v1,abc=',
    });
  });

  it('shows what a signature fault actually sent (a header left out)', () => {
    const sent = { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,abc=' };
    expect(deliveryView(delivery([attempt({ sent })])).attempts[0]!.requestHeaders).toEqual(sent);
    expect(deliveryView(delivery([attempt({})])).attempts[0]!.requestHeaders).toBeNull();
  });
});
