import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createPulseMock, ManualClock, PulseMockError } from '../../src/index.js';
import { createPulseMsw } from '../../src/msw/index.js';

const clock = new ManualClock();
const pulse = createPulseMsw({
  apiKey: 'sk_facade',
  seed: 5,
  clock,
  queueMs: 100,
  processingMs: 1000,
  baseUrl: 'https://facade.test',
});
const server = setupServer(...pulse.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => {
  server.close();
  pulse.close();
});

const submit = async () => {
  const res = await fetch('https://facade.test/extract', {
    method: 'POST',
    headers: { 'x-api-key': 'sk_facade', 'content-type': 'application/json' },
    body: JSON.stringify({ file_url: 'https://e.com/invoice.pdf', async: true }),
  });
  return ((await res.json()) as { job_id: string }).job_id;
};

describe('the facade: one surface over the mock', () => {
  it('names a bad option passed in code as the option, in a [pulse-mock] error', async () => {
    await expect(createPulseMock({ port: 0, processingMs: -5 })).rejects.toThrow(
      /^\[pulse-mock\] invalid option processingMs: -5; expected an integer/,
    );
    expect(() => createPulseMsw({ failureRate: 2 })).toThrow(ConfigError);
    expect(() => createPulseMsw({ failureRate: 2 })).toThrow(/^\[pulse-mock\] invalid option failureRate: 2/);
  });

  it('checks fault rules added in code as the config file would, and names the bad field', () => {
    expect(() => pulse.faults.add({ fault: { kind: 'api-error', status: 418 as 429 } })).toThrow(
      /^\[pulse-mock\] Invalid fault rule: faults\[0\]\.fault/,
    );
    const rule = pulse.faults.add({ fault: { kind: 'api-error', status: 503 }, scope: { routes: ['poll'] } });
    expect(pulse.faults.list()).toEqual([rule]);
    expect(pulse.faults.remove(rule.id)).toBe(true);
    pulse.faults.set([{ fault: { kind: 'api-latency', ms: 1 } }]);
    pulse.faults.clear();
    expect(pulse.faults.list()).toEqual([]);
  });

  it('refuses a bad endpoint in code with a [pulse-mock] PulseMockError', () => {
    expect(() => pulse.endpoints.add({ url: 'ftp://nowhere' })).toThrow(PulseMockError);
    expect(() => pulse.endpoints.add({ url: 'ftp://nowhere' })).toThrow(/^\[pulse-mock\] /);
    const ep = pulse.endpoints.add({ url: 'http://127.0.0.1:9/hook' });
    expect(pulse.endpoints.list().map((e) => e.id)).toEqual([ep.id]);
    pulse.endpoints.remove(ep.id);
    expect(pulse.endpoints.list()).toEqual([]);
  });

  it('waitForJob resolves when the job reaches the status asked for, on the mock clock', async () => {
    const id = await submit();
    const processing = pulse.waitForJob(id, { status: 'processing' });
    const settled = pulse.waitForJob(id);
    await clock.advance(100);
    expect((await processing).status).toBe('processing');
    await clock.advance(1000);
    expect(await settled).toMatchObject({ id, status: 'completed' });
    expect(pulse.jobs({ status: 'completed' }).map((j) => j.id)).toContain(id);
    expect(pulse.requests({ route: 'extract' }).at(-1)).toMatchObject({ status: 200, method: 'POST' });
  });

  it('waitForJob says which job and what it is when it gives up', async () => {
    const id = await submit();
    await expect(pulse.waitForJob(id, { timeoutMs: 10 })).rejects.toThrow(
      `[pulse-mock] job ${id} did not reach a final status within 10 ms; it is pending`,
    );
    await expect(pulse.waitForJob('nope', { timeoutMs: 10 })).rejects.toThrow(/it is unknown to the mock/);
  });

  it('reset() forgets jobs, requests and faults added since, keeping the options', async () => {
    await submit();
    pulse.faults.add({ fault: { kind: 'api-error', status: 500 } });
    pulse.reset();
    expect(pulse.jobs()).toEqual([]);
    expect(pulse.requests()).toEqual([]);
    expect(pulse.faults.list()).toEqual([]);
    expect(pulse.apiKey).toBe('sk_facade');
    expect(pulse.seed).toBe(5);
  });
});
