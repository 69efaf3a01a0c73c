import { describe, expect, it } from 'vitest';
import { startReceiver } from '../receivers.js';
import { report } from './report.js';
import { startFromOptions } from '../../src/server/start.js';
import { whenLog } from '../receivers.js';
import { startFaultyConsumers, type Behaviour } from './consumer-faults.js';

/**
 * Nothing is silently lost: with consumers that are down, reset, hang, redirect, answer 410,
 * 429, 5xx or slowly, every message ends in a known state and the counts add up exactly.
 * Sizes fit npm test; `npm run soak` runs the same at full size.
 */
const JOBS = Number(process.env.RELIABILITY_JOBS ?? 30);

export async function runConsumerFaults(jobs: number) {
  const consumers = await startFaultyConsumers({ slowMs: 30 });
  const behaviours = Object.keys(consumers.urls) as Behaviour[];
  const { mock, runtime } = await startFromOptions({
    port: 0,
    seed: 9,
    processingMs: 5,
    queueMs: 1,
    retrySchedule: [10, 20],
    deliveryTimeoutMs: 1000,
    deliveryConcurrency: 30,
    webhookUrl: behaviours.map((b) => consumers.urls[b]),
  });
  try {
    const ok = mock.endpoints.list().find((e) => e.url === consumers.urls.ok)!;
    mock.faults.set([{ fault: { kind: 'drop' }, scope: { endpointId: ok.id }, when: { probability: 0.2 } }]);
    for (let i = 0; i < jobs; i++) {
      const res = await fetch(`${mock.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: `https://e.com/${i}.pdf`, async: true }),
      });
      if (res.status !== 200) throw new Error(`submit ${i}: ${res.status}`);
    }
    const log = runtime.dispatcher.log;
    const expected = jobs * 3 * behaviours.length;
    await whenLog(
      log,
      () => log.size === expected && log.counts().pending + log.counts().sending === 0,
      'every delivery final',
      120_000,
    );
    const byEndpoint = Object.fromEntries(
      behaviours.map((b) => {
        const ep = mock.endpoints.list().find((e) => e.url === consumers.urls[b])!;
        const ds = log.list({ endpointId: ep.id });
        const counts = { succeeded: 0, failed: 0, dropped: 0 };
        for (const d of ds) counts[d.status as keyof typeof counts]++;
        if (b === 'rate-limited-once' && process.env.DEBUG_RL)
          console.log(
            JSON.stringify(
              ds
                .filter((d) => d.status === 'failed')
                .slice(0, 2)
                .map((d) => d.attempts),
            ),
          );
        return [
          b,
          { ...counts, disabled: ep.disabled, reasons: [...new Set(ds.map((d) => d.reason?.split(':')[0] ?? ''))] },
        ];
      }),
    ) as Record<
      Behaviour,
      { succeeded: number; failed: number; dropped: number; disabled: boolean; reasons: string[] }
    >;
    return { expected, counts: log.counts(), byEndpoint, jobs };
  } finally {
    await mock.close();
    await consumers.close();
  }
}

describe('consumer faults: every message accounted for', () => {
  it(`${JOBS} jobs x 3 events x 9 misbehaving consumers`, async () => {
    const r = await runConsumerFaults(JOBS);
    const per = JOBS * 3;
    expect(r.counts.succeeded + r.counts.failed + r.counts.dropped).toBe(r.expected);
    expect(r.counts.evicted).toBe(0);
    for (const b of ['down', 'reset', 'hang', 'redirect', 'error-500'] as const)
      expect(r.byEndpoint[b], b).toMatchObject({ failed: per, succeeded: 0 });
    expect(r.byEndpoint.down.reasons).toEqual(['exhausted']);
    expect(r.byEndpoint.hang.reasons).toEqual(['exhausted']);
    // 410: the first answer disables the endpoint; everything else to it fails as "disabled".
    expect(r.byEndpoint.gone).toMatchObject({ failed: per, disabled: true });
    for (const b of ['rate-limited-once', 'slow-ok'] as const)
      expect(r.byEndpoint[b], `${b} ${JSON.stringify(r.byEndpoint[b])}`).toMatchObject({ succeeded: per, failed: 0 });
    const ok = r.byEndpoint.ok;
    expect(ok.succeeded + ok.dropped).toBe(per);
    expect(ok.dropped).toBeGreaterThan(0);
    report('consumer-faults', {
      messages: r.expected,
      succeeded: r.counts.succeeded,
      failed: r.counts.failed,
      dropped: r.counts.dropped,
      lost: r.expected - r.counts.succeeded - r.counts.failed - r.counts.dropped,
    });
  }, 150_000);
});

const LOAD_JOBS = Number(process.env.RELIABILITY_LOAD_JOBS ?? 100);

/** Concurrent jobs x 5 events (3 + 2 duplicated job.completed) x 3 endpoints, all accounted for. */
export async function runLoad(jobs: number) {
  const sinks = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  const { mock, runtime } = await startFromOptions({
    port: 0,
    processingMs: 20,
    queueMs: 5,
    webhookUrl: sinks.map((s) => s.url),
    faults: [{ fault: { kind: 'duplicate', copies: 2 }, scope: { eventTypes: ['job.completed'] } }],
  });
  try {
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: jobs }, async (_, i) => {
        const t0 = performance.now();
        const res = await fetch(`${mock.url}/extract`, {
          method: 'POST',
          headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
          body: JSON.stringify({ file_url: `https://e.com/${i}.pdf`, async: true }),
        });
        latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`submit ${i}: ${res.status}`);
      }),
    );
    const log = runtime.dispatcher.log;
    const expected = jobs * 5 * 3;
    await whenLog(
      log,
      () => log.size === expected && log.counts().pending + log.counts().sending === 0,
      'all deliveries final',
      120_000,
    );
    const received = sinks.reduce((n, s) => n + s.received.length, 0);
    latencies.sort((a, b) => a - b);
    return { expected, counts: log.counts(), received, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
  } finally {
    await mock.close();
    for (const s of sinks) await s.close();
  }
}

describe('load: nothing lost under concurrency', () => {
  it(`${LOAD_JOBS} concurrent jobs x 5 events x 3 endpoints`, async () => {
    const r = await runLoad(LOAD_JOBS);
    expect(r.counts).toMatchObject({
      succeeded: r.expected,
      failed: 0,
      dropped: 0,
      pending: 0,
      sending: 0,
      evicted: 0,
    });
    expect(r.received).toBe(r.expected);
    report('load', {
      jobs: LOAD_JOBS,
      deliveries: r.expected,
      succeeded: r.counts.succeeded,
      received: r.received,
      lost: r.expected - r.counts.succeeded,
      submitP99Ms: Math.round(r.p99),
    });
  }, 150_000);
});
