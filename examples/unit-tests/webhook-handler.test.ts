// A user's unit tests for their webhook handler, with pulse-mock's signing helpers.
import { expect, test, vi } from 'vitest';
import { signWebhook, webhookRequest } from 'pulse-mock/testing';
import { createWebhookHandler } from './webhook-handler.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const completed = {
  type: 'job.completed',
  data: { job_id: 'job_1', status: 'completed', pages_processed: 2, processing_time: 3.1 },
};

test('a valid delivery is accepted and the job handed on', async () => {
  const onJobFinished = vi.fn();
  const handle = createWebhookHandler({ secret: SECRET, onJobFinished });
  const res = await handle(webhookRequest(completed, SECRET));
  expect(res.status).toBe(204);
  expect(onJobFinished).toHaveBeenCalledWith('job_1', 'completed');
});

test.each(['wrong-secret', 'tampered-body', 'stale-timestamp', 'missing-signature', 'unknown-version'] as const)(
  'a bad signature (%s) is rejected with 401',
  async (fault) => {
    const onJobFinished = vi.fn();
    const handle = createWebhookHandler({ secret: SECRET, onJobFinished });
    expect((await handle(webhookRequest(completed, SECRET, { fault }))).status).toBe(401);
    expect(onJobFinished).not.toHaveBeenCalled();
  },
);

test('a duplicate (same webhook-id) is acknowledged but processed once', async () => {
  const onJobFinished = vi.fn();
  const handle = createWebhookHandler({ secret: SECRET, onJobFinished });
  const { id, headers, body } = signWebhook(completed, SECRET);
  expect((await handle(new Request('http://localhost/hook', { method: 'POST', headers, body }))).status).toBe(204);
  // Svix retries keep the id but sign a fresh timestamp.
  const again = signWebhook(completed, SECRET, { id, timestamp: Math.floor(Date.now() / 1000) + 1 });
  expect(
    (await handle(new Request('http://localhost/hook', { method: 'POST', headers: again.headers, body: again.body })))
      .status,
  ).toBe(200);
  expect(onJobFinished).toHaveBeenCalledTimes(1);
});
