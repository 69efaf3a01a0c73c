import { describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../src/delivery/delivery-log.js';
import { messageId } from '../../src/delivery/signing.js';
import { IdSequence } from '../../src/core/random.js';
import type { Delivery } from '../../src/delivery/types.js';

describe('message ids', () => {
  it('are distinct across 200k job events of one run (a 32-bit derivation collided here)', () => {
    // Consumers dedupe on webhook-id, so two events sharing an id means one is dropped as a
    // "duplicate". Ids drawn from a 32-bit seed had ~90% odds of a clash at this size.
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++)
      for (const type of ['job.created', 'job.completed']) ids.add(messageId(42, `job-${i}/${type}`));
    expect(ids.size).toBe(200_000);
  });

  it('replay under the same seed, differ under another, and look like Svix ids', () => {
    expect(messageId(7, 'job-1/job.completed')).toBe(messageId(7, 'job-1/job.completed'));
    expect(messageId(8, 'job-1/job.completed')).not.toBe(messageId(7, 'job-1/job.completed'));
    expect(messageId()).not.toBe(messageId());
    expect(messageId(7, 'x')).toMatch(/^msg_[0-9A-Za-z]{27}$/);
  });
});

describe('DeliveryLog', () => {
  const delivery = (key: string): Delivery => ({
    key,
    messageId: key.split('/')[0] as string,
    endpointId: 'ep',
    url: 'http://127.0.0.1/',
    eventType: 'job.completed',
    body: '{}',
    status: 'pending',
    attempts: [],
    scheduledAttempts: 0,
    createdAt: 0,
    faults: [],
  });

  it('never lets a delivery with a reused key hide the one already logged', () => {
    const log = new DeliveryLog(100);
    const [a, b] = [delivery('msg_a/ep'), delivery('msg_a/ep')];
    log.add(a);
    log.add(b);
    expect(log.size).toBe(2);
    expect(b.key).not.toBe(a.key);
    log.setStatus(a, 'succeeded');
    log.setStatus(b, 'succeeded');
    expect(log.counts()).toMatchObject({ pending: 0, succeeded: 2 });
  });
});

describe('job ids', () => {
  it('are v4-shaped, replay under a seed, and never repeat across restarts (salts)', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = new IdSequence('42/ids/0');
    const again = new IdSequence('42/ids/0');
    const first = a.next();
    expect(first).toMatch(uuid);
    expect(again.next()).toBe(first);
    const seen = new Set<string>([first]);
    for (const salt of [0, 1, 2]) {
      const s = new IdSequence(`42/ids/${salt}`);
      if (salt === 0) s.next();
      for (let i = 0; i < 50_000; i++) seen.add(s.next());
    }
    expect(seen.size).toBe(150_001);
    // Every one, not only the first: a hash gives two ids, and the second is formatted on its own.
    expect([...seen].filter((id) => !uuid.test(id))).toEqual([]);
  });
});

describe('DeliveryLog retention', () => {
  const delivery = (key: string): Delivery => ({
    key,
    messageId: key,
    endpointId: 'ep',
    url: 'http://127.0.0.1/',
    eventType: 'job.completed',
    body: '{}',
    status: 'pending',
    attempts: [],
    scheduledAttempts: 0,
    createdAt: 0,
    faults: [],
  });

  it('evicts the delivery that finished first, never a pending one, even behind a large backlog', () => {
    const log = new DeliveryLog(3);
    const backlog = Array.from({ length: 50_000 }, (_, i) => delivery(`pending-${i}`));
    for (const d of backlog) log.add(d); // over the cap, but nothing has finished: nothing may go
    expect(log.size).toBe(50_000);
    const [a, b] = [backlog[10] as Delivery, backlog[5] as Delivery];
    log.setStatus(a, 'succeeded');
    log.setStatus(b, 'failed');
    // Each finish over the cap evicts the oldest finished one: a went first, then b.
    expect(log.get(a.key)).toBeUndefined();
    expect(log.get(b.key)).toBeUndefined();
    expect(log.counts()).toMatchObject({ pending: 49_998, succeeded: 0, failed: 0, evicted: 2 });
  });
});
