import { setupServer } from 'msw/node';
import { Webhook } from 'svix';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPulseMsw } from '../../src/msw/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const received: Request[] = [];
const pulse = createPulseMsw({
  apiKey: 'sk_unit',
  seed: 11,
  processingMs: 1000,
  queueMs: 100,
  webhookSecret: SECRET,
  retrySchedule: [],
  onWebhook: (req) => {
    received.push(req);
  },
});
const server = setupServer(...pulse.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  pulse.reset();
  received.length = 0;
  vi.useRealTimers();
});
afterAll(() => {
  server.close();
  pulse.close();
});

const API = 'https://api.runpulse.com';
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${API}${path}`, {
    method,
    headers: { 'x-api-key': 'sk_unit', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

describe('pulse-mock/msw', () => {
  it('answers on both Pulse base URLs, with auth and Pulse errors', async () => {
    const noKey = await fetch(`${API}/job/x`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { code: 'AUTH_001' } });
    const dev = await fetch('https://dev.api.runpulse.com/job/x', { headers: { 'x-api-key': 'sk_unit' } });
    expect(dev.status).toBe(404);
    expect(await dev.json()).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
    expect((await call('POST', '/extract', {})).status).toBe(400);
    const bad = await fetch(`${API}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk_unit', 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST_BODY' } });
  });

  it('runs the job lifecycle under vitest fake timers, and hands each signed delivery to onWebhook as a Request', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2030-05-01T12:00:00Z'));
    const { job_id } = (await (
      await call('POST', '/extract', { file_url: 'https://e.com/invoice.pdf', async: true })
    ).json()) as { job_id: string };
    expect(((await (await call('GET', `/job/${job_id}`)).json()) as { status: string }).status).toBe('pending');
    await vi.advanceTimersByTimeAsync(100);
    expect(((await (await call('GET', `/job/${job_id}`)).json()) as { status: string }).status).toBe('processing');
    await vi.advanceTimersByTimeAsync(1000);
    const done = (await (await call('GET', `/job/${job_id}`)).json()) as {
      status: string;
      created_at: string;
      result: { markdown: string };
    };
    expect(done.status).toBe('completed');
    expect(done.created_at).toBe('2030-05-01T12:00:00.000Z');
    expect(done.result.markdown).toMatch(/INVOICE/);
    expect(received).toHaveLength(3);
    const wh = new Webhook(SECRET);
    const types = [];
    for (const req of received) {
      const body = await req.text();
      // Signed against the (fake) system time: verify at that time, as the receiver's clock would.
      types.push((wh.verify(body, Object.fromEntries(req.headers)) as { type: string }).type);
    }
    expect(types).toEqual(['job.created', 'job.processing', 'job.completed']);
  });

  it('applies API faults and outcome headers the same way as the server', async () => {
    pulse.faults.set([
      { fault: { kind: 'api-error', status: 429, retryAfterS: 3 }, scope: { routes: ['poll'] }, when: { nth: [1] } },
    ]);
    const { job_id } = (await (
      await call(
        'POST',
        '/extract',
        { file_url: 'https://e.com/a.pdf', async: true },
        { 'x-pulse-mock-outcome': 'failed', 'x-pulse-mock-processing-ms': '0' },
      )
    ).json()) as { job_id: string };
    const limited = await call('GET', `/job/${job_id}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    await pulse.waitForJob(job_id);
    expect(await (await call('GET', `/job/${job_id}`)).json()).toMatchObject({
      status: 'failed',
      error: expect.any(String),
    });
    expect(pulse.requests({ route: 'poll' }).map((r) => r.status)).toEqual([429, 200]);
  });

  it('accepts multipart uploads like the SDK sends them', async () => {
    const form = new FormData();
    form.append('file', new Blob(['%PDF-1.7'], { type: 'application/pdf' }), 'statement.pdf');
    form.append('async', 'false');
    form.append(
      'structuredOutput',
      JSON.stringify({ schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } } }),
    );
    const res = await fetch(`${API}/extract`, { method: 'POST', headers: { 'x-api-key': 'sk_unit' }, body: form });
    const body = (await res.json()) as { structured_output: { values: { total: number } } };
    expect(res.status).toBe(200);
    expect(typeof body.structured_output.values.total).toBe('number');
  });
});
