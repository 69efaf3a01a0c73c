import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCarefulConsumer,
  startCarefulConsumer,
  type RunningConsumer,
} from '../../examples/consumers/careful-consumer.js';
import { zooConsumer } from '../consumers/zoo.js';
import { startNaiveConsumer } from '../../examples/consumers/naive-consumer.js';
import { createReporter } from '../../src/scenarios/reporters.js';
import { listBuiltInScenarios, loadScenario, runScenarios } from '../../src/scenarios/runner.js';
import { freePort } from '../receivers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const silent = () => createReporter('json', () => {});

let careful: RunningConsumer;
let apiPort: number;
beforeAll(async () => {
  apiPort = await freePort();
  careful = await startCarefulConsumer({ secret: SECRET, pulseBaseUrl: `http://127.0.0.1:${apiPort}` });
});
afterAll(async () => {
  await careful.close();
});

describe('the scenario catalogue', () => {
  it('has at least ten scenarios, each loadable with a name and a description', async () => {
    const names = listBuiltInScenarios();
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of names) {
      const s = await loadScenario(n);
      expect(s.name).toBe(n);
      expect(s.description.length).toBeGreaterThan(10);
    }
  });

  it('passes the careful consumer on every scenario, its final state read through its effects probe', async () => {
    const scenarios = await Promise.all(listBuiltInScenarios().map((n) => loadScenario(n)));
    const results = await runScenarios(scenarios, {
      target: careful.url,
      secret: SECRET,
      apiPort,
      seed: 1,
      reporter: silent(),
      effects: careful.effectsUrl,
    });
    for (const r of results)
      for (const a of r.assertions) expect(a.passed, `${r.name}: ${a.message} (${a.detail ?? ''})`).toBe(true);
    // What the descriptions promise about the consumer's state is asserted, not only its 2xx.
    const recorded = (name: string) =>
      results.find((r) => r.name === name)?.assertions.find((a) => a.message.startsWith('the consumer recorded'));
    expect(recorded('out-of-order')?.message).toBe('the consumer recorded the job completed');
    expect(recorded('duplicate-delivery')?.message).toBe(
      'the consumer recorded the job completed, having acted <= 1 time(s)',
    );
    expect(recorded('job-cancelled')?.detail).toBe('its effects probe says status "canceled", acted 1');
    expect(recorded('happy-path')?.passed).toBe(true);
  }, 180_000);

  it('runs the same scenario files in-process: an Express app, and fetch handlers with planted bugs', async () => {
    const { default: express } = await import('express');
    let api = '';
    const inProcess = createCarefulConsumer({ secret: SECRET, pulseBaseUrl: () => api });
    const app = express();
    app.use(inProcess.listener);
    const names = ['happy-path', 'out-of-order', 'duplicate-delivery', 'consumer-down-then-back', 'bad-signatures'];
    const scenarios = await Promise.all(names.map((n) => loadScenario(n)));
    const onApi = (url: string) => void (api = url);
    const results = await runScenarios(scenarios, {
      target: app,
      secret: SECRET,
      seed: 2,
      reporter: silent(),
      onApi,
      effects: inProcess.effects,
    });
    for (const r of results)
      for (const a of r.assertions) expect(a.passed, `${r.name}: ${a.message} (${a.detail ?? ''})`).toBe(true);
    expect(results.map((r) => r.assertions.length).every((n) => n > 1)).toBe(true);

    // The regressor and the double actor acknowledge everything: only their effects give them away.
    for (const [flaw, scenario] of [
      ['state-goes-back', 'out-of-order'],
      ['acts-on-every-delivery', 'duplicate-delivery'],
    ] as const) {
      const buggy = zooConsumer(flaw, { secret: SECRET, pulseBaseUrl: () => api });
      const [r] = await runScenarios([await loadScenario(scenario)], {
        target: buggy,
        secret: SECRET,
        seed: 3,
        reporter: silent(),
        onApi,
        effects: buggy.effects,
      });
      const failed = r!.assertions.filter((a) => !a.passed);
      expect(
        failed.map((a) => a.message),
        flaw,
      ).toEqual([expect.stringMatching(/^the consumer recorded the job completed/)]);
      // Without a probe the same run says it did not grade the state, and passes on its 2xx.
      const [blind] = await runScenarios([await loadScenario(scenario)], {
        target: zooConsumer(flaw, { secret: SECRET, pulseBaseUrl: () => api }),
        secret: SECRET,
        seed: 3,
        reporter: silent(),
        onApi,
      });
      expect(blind!.passed).toBe(true);
      expect(blind!.logs.some((l) => /is not graded \(no effects probe/.test(l))).toBe(true);
    }
  }, 120_000);

  it('fails the naive consumer where it is naive', async () => {
    const naive = await startNaiveConsumer();
    try {
      const scenarios = await Promise.all(['bad-signatures', 'stale-replay', 'happy-path'].map((n) => loadScenario(n)));
      const results = await runScenarios(scenarios, { target: naive.url, secret: SECRET, seed: 1, reporter: silent() });
      const byName = Object.fromEntries(results.map((r) => [r.name, r]));
      expect(byName['bad-signatures']?.passed).toBe(false);
      expect(byName['bad-signatures']?.assertions.filter((a) => !a.passed).map((a) => a.message)).toContain(
        'wrong-secret: rejected with a 4xx',
      );
      // Each failure says what was sent, what came back and the fix.
      expect(
        byName['bad-signatures']?.assertions.find((a) => a.message === 'malformed-header: rejected with a 4xx')?.detail,
      ).toBe(
        'sent job.completed with the signature but no "v1," label; answered 200: it acted on a forgery. Verify the raw body with the svix or standardwebhooks library',
      );
      expect(
        byName['stale-replay']?.assertions.find((a) => a.message === 'the replay is rejected with a 4xx')?.passed,
      ).toBe(false);
      // It acknowledges events fine, but never fetches the job.
      const happy = byName['happy-path']!;
      expect(happy.assertions.filter((a) => a.message.endsWith('acknowledged with a 2xx')).every((a) => a.passed)).toBe(
        true,
      );
      expect(happy.assertions.find((a) => a.message.startsWith('the consumer fetched'))?.passed).toBe(false);
    } finally {
      await naive.close();
    }
  }, 60_000);

  it('says once that nothing answers at the target, instead of a failure per kind', async () => {
    const target = `http://127.0.0.1:${await freePort()}/hook`;
    const [result] = await runScenarios([await loadScenario('bad-signatures')], {
      target,
      secret: SECRET,
      seed: 1,
      reporter: silent(),
    });
    expect(result!.assertions.map((a) => [a.passed, a.message])).toEqual([[false, 'the consumer answers']]);
    expect(result!.assertions[0]!.detail).toMatch(/^nothing answers at .*ECONNREFUSED/);
  }, 60_000);

  it('gives the same faults on the same messages for the same seed', async () => {
    const chaos = await loadScenario(new URL('../fixtures/seeded-chaos.ts', import.meta.url).pathname);
    const run = async (seed: number) => {
      const [r] = await runScenarios([chaos], { target: careful.url, secret: SECRET, seed, reporter: silent() });
      return [...(r?.deliveries ?? [])].sort((a, b) =>
        (a.messageId + a.faults.join()).localeCompare(b.messageId + b.faults.join()),
      );
    };
    const a = await run(7);
    expect(a.some((d) => d.status === 'dropped')).toBe(true);
    expect(a.some((d) => d.attemptFaults.some((f) => f.startsWith('bad signature')))).toBe(true);
    expect(a.some((d) => d.faults.some((f) => f.startsWith('duplicate')))).toBe(true);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  }, 60_000);
});
