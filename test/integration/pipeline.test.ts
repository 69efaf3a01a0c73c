import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { createPulseMsw } from '../../src/msw/index.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

/** Issue 20, pipeline: every supported chain, sync and async, through both adapters; each step's id works with the single endpoints. */
const KEY = 'sk_pipe';
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, any> }>;
const caller =
  (base: () => string): Call =>
  async (method, path, body) => {
    const res = await fetch(`${base()}${path}`, { method, headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
const SCHEMA = { type: 'object', properties: { account_holder: { type: 'string' } }, required: ['account_holder'] };

async function everyChain(call: Call, settle: () => Promise<void>) {
  const run = async (body: Record<string, unknown>, async: boolean) => {
    const res = await call('POST', '/pipeline/execute', { file_url: 'https://e.com/statement.pdf', ...body, ...(async ? { async: true } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (!async) return res.body;
    await settle();
    const job = await call('GET', `/job/${res.body.job_id}`);
    expect(job.body.status).toBe('completed');
    return job.body.result as Record<string, any>;
  };
  for (const async of [false, true]) {
    const one = await run({ steps: { extract: {} } }, async);
    expect(one).toMatchObject({ status: 'completed', results: { extract: { page_count: expect.any(Number), latency: 0.1 } } });
    expect(one.results.extract.pages).toBe(one.results.extract.page_count);
    // The pipeline's extraction is a stored extraction like any.
    expect((await call('POST', '/tables', { extraction_id: one.results.extract.extraction_id })).status).toBe(200);

    const schema = await run({ steps: { extract: {}, schema: { input_schema: SCHEMA } } }, async);
    expect(schema.results.schema.schema_output.values.account_holder).toEqual(expect.any(String));
    expect((await call('GET', `/job/${schema.results.schema.schema_id}`)).body.status).toBe('completed');

    const split = await run({ steps: { extract: {}, split: { split_input: [{ name: 'Transactions' }] }, schema: { input_schema: SCHEMA } } }, async);
    const pages = Array.from({ length: split.results.extract.page_count as number }, (_, i) => i + 1);
    expect(split.results.split).toMatchObject({ split_output: { splits: { Transactions: pages } }, split_input: [{ name: 'Transactions' }] });
    expect(split.results.schema).toMatchObject({ split_id: split.results.split.split_id, results: { Transactions: expect.any(Object) } });
    expect((await call('POST', '/schema', { split_id: split.results.split.split_id, split_schema_config: { Transactions: { schema: SCHEMA } } })).status).toBe(200);

    const tables = await run({ steps: { extract: {}, tables: { table_format: 'json' } } }, async);
    expect(tables.results.tables.tables_output.tables.length).toBeGreaterThan(0);

    const batch = await run({ steps: { batch_extract: { file_urls: ['https://e.com/a-statement.pdf', 'https://e.com/b-statement.pdf'] }, schema: { input_schema: SCHEMA } } }, async);
    expect(batch.results.batch_extract).toMatchObject({ total_files: 2, extraction_ids: [expect.any(String), expect.any(String)] });
    expect(batch.results.schema.extraction_ids).toEqual(batch.results.batch_extract.extraction_ids);
    expect(batch.total_latency).toBeCloseTo(0.2);
  }
  for (const steps of [{}, { schema: { input_schema: SCHEMA } }, { extract: {}, batch_extract: { file_urls: ['https://e.com/a.pdf'] } }, { extract: {}, tables: {}, schema: { input_schema: SCHEMA } }, { extract: {}, split: { split_input: [{ name: 'x' }] }, tables: {} }]) {
    const refused = await call('POST', '/pipeline/execute', { file_url: 'https://e.com/a.pdf', steps });
    expect([refused.status, refused.body.error.details.field], JSON.stringify(steps)).toEqual([400, 'steps']);
  }
  const badStep = await call('POST', '/pipeline/execute', { file_url: 'https://e.com/a.pdf', steps: { extract: {}, tables: { table_format: 'xml' } } });
  expect([badStep.status, badStep.body.error.message]).toEqual([400, expect.stringContaining('steps.tables')]);
}

describe('pipeline through the server', () => {
  const clock = new ManualClock();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(resolveConfig({ env: {}, options: { seed: 31, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 10, processingMs: 100 } }), { clock });
  });
  afterAll(() => server.mock.close());

  it('runs every supported chain sync and async, and names the rule an unsupported one breaks', async () => {
    await everyChain(
      caller(() => server.mock.url),
      () => clock.advance(200),
    );
  });
});

describe('pipeline through msw', () => {
  const clock = new ManualClock();
  const pulse = createPulseMsw({ apiKey: KEY, seed: 31, queueMs: 10, processingMs: 100, clock });
  const msw = setupServer(...pulse.handlers);
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => {
    msw.close();
    pulse.close();
  });

  it('the same', async () => {
    await everyChain(
      caller(() => 'https://api.runpulse.com'),
      () => clock.advance(200),
    );
  });
});
