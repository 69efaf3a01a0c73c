import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPulseMock, type PulseMock } from '../../src/index.js';
import { pythonPath } from '../../scripts/test-deps.js';

/**
 * Requests exactly as Pulse's clients send them, over real HTTP: the official TS SDK (Fern:
 * multipart, camelCase fields, booleans and numbers as strings, object options as JSON strings,
 * X-Fern-* headers) and the seed's Python example.
 */
const FERN_HEADERS = {
  'X-Fern-Language': 'JavaScript',
  'X-Fern-SDK-Name': 'pulse-ts-sdk',
  'X-Fern-SDK-Version': '0.0.50',
  'User-Agent': 'pulse-ts-sdk/0.0.50',
  'X-Fern-Runtime': 'node',
  'X-Fern-Runtime-Version': process.version,
};

let mock: PulseMock;
beforeAll(async () => {
  mock = await createPulseMock({ port: 0, seed: 3, apiKey: 'sk_contract', processingMs: 50, queueMs: 10 });
});
afterAll(async () => {
  await mock.close();
});

/** Like the SDK's `__extract`: FormData with only the fields the caller set. */
function sdkForm(request: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(request)) {
    if (v == null) continue;
    if (k === 'file') form.append('file', v as Blob, 'statement.pdf');
    else if (typeof v === 'object') form.append(k, JSON.stringify(v));
    else form.append(k, `${v as string | number | boolean}`);
  }
  return form;
}

async function sdkCall(path: string, init: RequestInit = {}) {
  const res = await fetch(`${mock.url}${path}`, {
    ...init,
    headers: { 'x-api-key': 'sk_contract', ...FERN_HEADERS, ...(init.headers ?? {}) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** The job's final answer: awaited through the mock's events, then read as the SDK reads it. */
async function pollUntilDone(jobId: string) {
  await mock.waitForJob(jobId);
  return (await sdkCall(`/job/${encodeURIComponent(jobId)}`)).body;
}

describe('the official TS SDK request shapes', () => {
  it('client.extract({ fileUrl, async: true, structuredOutput, extensions }) then jobs.getJob', async () => {
    const schema = {
      type: 'object',
      required: ['account_holder', 'balance'],
      properties: { account_holder: { type: 'string' }, balance: { type: 'number' } },
    };
    const form = sdkForm({
      fileUrl: 'https://www.impact-bank.com/user/file/dummy_statement.pdf',
      pages: '1-2',
      extensions: { chunking: { chunkTypes: ['page'], chunkSize: 500 } },
      async: true,
      structuredOutput: { schema, schemaPrompt: 'Extract the holder and balance' },
      chunkSize: 500,
    });
    const submitted = await sdkCall('/extract', { method: 'POST', body: form });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toEqual({
      job_id: expect.any(String),
      status: 'pending',
      message: 'Job queued for processing',
      queuedAt: expect.any(String),
      credits_used: 0,
    });
    const job = await pollUntilDone(submitted.body.job_id);
    expect(Object.keys(job).sort()).toEqual(['created_at', 'job_id', 'result', 'status', 'updated_at']);
    expect(job.status).toBe('completed');
    expect(job.result.page_count).toBe(2);
    expect(job.result.extensions.chunking.page).toHaveLength(2);
    expect(typeof job.result.structured_output.values.account_holder).toBe('string');
    expect(typeof job.result.structured_output.values.balance).toBe('number');
  });

  it('client.extract({ file }) uploads a file and gets a sync ExtractResponse', async () => {
    const pdf = new Blob([Buffer.from('%PDF-1.7\n%mock\n')], { type: 'application/pdf' });
    const res = await sdkCall('/extract', {
      method: 'POST',
      body: sdkForm({ file: pdf, returnHtml: true, async: false }),
    });
    expect(res.status).toBe(200);
    expect(res.body.markdown).toEqual(expect.any(String));
    expect(res.body.content).toBe(res.body.markdown);
    expect(res.body.html).toMatch(/<h\d>/);
    // Same bytes, same body.
    const again = await sdkCall('/extract', {
      method: 'POST',
      body: sdkForm({ file: pdf, returnHtml: true, async: false }),
    });
    expect(again.body.markdown).toBe(res.body.markdown);
  });

  it('client.extractAsync, jobs.cancelJob and webhooks.createWebhookLink', async () => {
    const submitted = await sdkCall('/extract_async', {
      method: 'POST',
      body: sdkForm({ fileUrl: 'https://e.com/contract.pdf' }),
    });
    expect(submitted.body.status).toBe('pending');
    const cancelled = await sdkCall(`/job/${submitted.body.job_id}`, { method: 'DELETE' });
    expect(cancelled).toEqual({
      status: 200,
      body: { job_id: submitted.body.job_id, message: 'Job cancelled successfully' },
    });
    expect((await sdkCall(`/job/${submitted.body.job_id}`)).body.status).toBe('canceled');
    const link = await sdkCall('/webhook', { method: 'POST' });
    expect(link.body.link).toMatch(new RegExp(`^${mock.url}/portal\\?token=`));
  });

  it('errors reach the SDK as Pulse error bodies with the statuses it maps to its error classes', async () => {
    const noFile = await sdkCall('/extract', { method: 'POST', body: sdkForm({ async: true }) });
    expect(noFile).toMatchObject({ status: 400, body: { error: { code: 'REQ_001' } } });
    const badKey = await sdkCall('/job/x', { headers: { 'x-api-key': 'wrong' } });
    expect(badKey).toMatchObject({ status: 401, body: { error: { code: 'AUTH_002' } } });
    const missing = await sdkCall('/job/no-such-job');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'JOB_NOT_FOUND' } } });
  });
});

describe("the seed's Python example", () => {
  it('submits with file_url and a structured_output JSON string, polls, reads result.content and structured_output', async () => {
    const { stdout } = await promisify(execFile)(
      pythonPath(),
      [new URL('./python_seed_client.py', import.meta.url).pathname, mock.url, 'sk_contract'],
      {
        timeout: 15_000,
      },
    );
    const out = JSON.parse(stdout.trim());
    expect(out.submit_status).toBe(200);
    expect(out.submitted.status).toBe('pending');
    expect(out.statuses.at(-1)).toBe('completed');
    expect(out.statuses.every((s: string) => ['pending', 'processing', 'completed'].includes(s))).toBe(true);
    expect(out.content_head).toMatch(/Account Statement/);
    expect(typeof out.structured_output.values.account_holder).toBe('string');
    expect(typeof out.structured_output.values.balance).toBe('number');
  });
});
