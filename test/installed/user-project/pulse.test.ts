// A user's vitest file, run inside the scratch project with the README's msw setup file
// (setup-pulse.ts, copied from README.md) in setupFiles: msw handlers and real mock servers in
// one project, with onUnhandledRequest: 'error'.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it, test } from 'vitest';
import { startPulseMock } from 'pulse-mock/testing';
import { withPulseMock } from 'pulse-mock/vitest';

const pdf = () => new Blob(['%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF'], { type: 'application/pdf' });

it('answers a multipart extract through the msw handlers', async () => {
  const form = new FormData();
  form.set('file', pdf(), 'one.pdf');
  const res = await fetch('https://api.runpulse.com/extract', {
    method: 'POST',
    headers: { 'x-api-key': 'sk_test' },
    body: form,
  });
  expect(res.status).toBe(200);
  // The handlers' answer: Pulse's host is not reachable from here.
  expect(((await res.json()) as { page_count: number }).page_count).toBe(1);
});

it('reaches a mock started in this process (startPulseMock)', async () => {
  const mock = await startPulseMock({ processingMs: 20, queueMs: 5 });
  try {
    const res = await fetch(`${mock.url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': mock.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: 'https://example.com/invoice.pdf', async: true }),
    });
    const { job_id } = (await res.json()) as { job_id: string };
    expect((await mock.waitForJob(job_id)).status).toBe('completed');
  } finally {
    await mock.close();
  }
});

const withMock = withPulseMock(test, { processingMs: 20, queueMs: 5 });
withMock('reaches the withPulseMock fixture', async ({ pulseMock }) => {
  const res = await fetch(`${pulseMock.url}/job/nope`, { headers: { 'x-api-key': pulseMock.apiKey } });
  expect(res.status).toBe(404);
});

it('still refuses any other unhandled request, to a live server', async () => {
  // A live server that is not a mock: msw, not the network, must refuse the request.
  const other = createServer((_req, res) => res.end('reached'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = other.address() as AddressInfo;
    await expect(fetch(`http://127.0.0.1:${port}/elsewhere`)).rejects.toThrow();
  } finally {
    other.close();
  }
});
