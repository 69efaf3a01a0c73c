// A user's unit tests for their Pulse client, with pulse-mock's msw handlers: no port, no network.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createPulseMsw } from 'pulse-mock/msw';
import { JobFailedError, PulseJobs } from './pulse-client.js';

const pulse = createPulseMsw({
  apiKey: 'sk_test',
  processingMs: 30,
  queueMs: 10,
  outcomes: [{ match: '*corrupt*', outcome: 'failed', error: 'The PDF is corrupt.' }],
});
const server = setupServer(...pulse.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => pulse.reset());
afterAll(() => {
  server.close();
  pulse.close();
});

const slept: number[] = [];
// Records the waits the client asks for, and waits only briefly.
const sleep = async (ms: number) => {
  slept.push(ms);
  await new Promise((r) => setTimeout(r, Math.min(ms, 20)));
};
const client = new PulseJobs({ apiKey: 'sk_test', pollMs: 20, sleep });

test('happy path: submit, poll, get the structured result', async () => {
  const jobId = await client.submit('https://example.com/invoice.pdf', {
    type: 'object',
    required: ['total'],
    properties: { total: { type: 'number' } },
  });
  const result = await client.waitForResult(jobId);
  expect(result.markdown).toMatch(/INVOICE/);
  expect(typeof (result.structured_output as { values: { total: number } }).values.total).toBe('number');
});

test('a failed job raises JobFailedError with the reason', async () => {
  const jobId = await client.submit('https://example.com/corrupt-scan.pdf');
  await expect(client.waitForResult(jobId)).rejects.toEqual(new JobFailedError(jobId, 'The PDF is corrupt.'));
});

test('429 then success: the client honours Retry-After and gets through', async () => {
  pulse.faults.set([
    { fault: { kind: 'api-error', status: 429, retryAfterS: 2 }, scope: { routes: ['extract'] }, when: { nth: [1] } },
  ]);
  slept.length = 0;
  const jobId = await client.submit('https://example.com/invoice.pdf');
  expect(slept[0]).toBe(2000);
  expect(pulse.requests({ route: 'extract' }).map((r) => r.status)).toEqual([429, 200]);
  await expect(client.waitForResult(jobId)).resolves.toBeDefined();
});

test('cancel: the job ends canceled and polling says so', async () => {
  const jobId = await client.submit('https://example.com/report.pdf');
  expect(await client.cancel(jobId)).toBe('Job cancelled successfully');
  await expect(client.waitForResult(jobId)).rejects.toThrow(/canceled/);
});
