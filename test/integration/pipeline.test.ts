import { describe, expect, it } from 'vitest';
import { jsonCaller, mswPulseFor, PULSE, serverFor, type JsonCall } from '../adapters.js';

/** Issue 20, pipeline: every supported chain, sync and async, through both adapters; each step's id works with the single endpoints. */
const KEY = 'sk_pipe';
type Call = JsonCall;
const caller = (base: () => string) => jsonCaller(base, KEY);
const SCHEMA = { type: 'object', properties: { account_holder: { type: 'string' } }, required: ['account_holder'] };

async function everyChain(call: Call, settle: () => Promise<void>) {
  const run = async (body: Record<string, unknown>, async: boolean) => {
    const res = await call('POST', '/pipeline/execute', {
      file_url: 'https://e.com/statement.pdf',
      ...body,
      ...(async ? { async: true } : {}),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (!async) return res.body;
    await settle();
    const job = await call('GET', `/job/${res.body.job_id}`);
    expect(job.body.status).toBe('completed');
    return job.body.result as Record<string, any>;
  };
  for (const async of [false, true]) {
    const one = await run({ steps: { extract: {} } }, async);
    expect(one).toMatchObject({
      status: 'completed',
      results: { extract: { page_count: expect.any(Number), latency: 0.1 } },
    });
    expect(one.results.extract.pages).toBe(one.results.extract.page_count);
    // The pipeline's extraction is a stored extraction like any.
    expect((await call('POST', '/tables', { extraction_id: one.results.extract.extraction_id })).status).toBe(200);

    const schema = await run({ steps: { extract: {}, schema: { input_schema: SCHEMA } } }, async);
    expect(schema.results.schema.schema_output.values.account_holder).toEqual(expect.any(String));
    expect((await call('GET', `/job/${schema.results.schema.schema_id}`)).body.status).toBe('completed');

    const split = await run(
      { steps: { extract: {}, split: { split_input: [{ name: 'Transactions' }] }, schema: { input_schema: SCHEMA } } },
      async,
    );
    const pages = Array.from({ length: split.results.extract.page_count as number }, (_, i) => i + 1);
    expect(split.results.split).toMatchObject({
      split_output: { splits: { Transactions: pages } },
      split_input: [{ name: 'Transactions' }],
    });
    expect(split.results.schema).toMatchObject({
      split_id: split.results.split.split_id,
      results: { Transactions: expect.any(Object) },
    });
    expect(
      (
        await call('POST', '/schema', {
          split_id: split.results.split.split_id,
          split_schema_config: { Transactions: { schema: SCHEMA } },
        })
      ).status,
    ).toBe(200);

    const tables = await run({ steps: { extract: {}, tables: { table_format: 'json' } } }, async);
    expect(tables.results.tables.tables_output.tables.length).toBeGreaterThan(0);

    const batch = await run(
      {
        steps: {
          batch_extract: { file_urls: ['https://e.com/a-statement.pdf', 'https://e.com/b-statement.pdf'] },
          schema: { input_schema: SCHEMA },
        },
      },
      async,
    );
    expect(batch.results.batch_extract).toMatchObject({
      total_files: 2,
      extraction_ids: [expect.any(String), expect.any(String)],
    });
    expect(batch.results.schema.extraction_ids).toEqual(batch.results.batch_extract.extraction_ids);
    expect(batch.total_latency).toBeCloseTo(0.2);
  }
  for (const steps of [
    {},
    { schema: { input_schema: SCHEMA } },
    { extract: {}, batch_extract: { file_urls: ['https://e.com/a.pdf'] } },
    { extract: {}, tables: {}, schema: { input_schema: SCHEMA } },
    { extract: {}, split: { split_input: [{ name: 'x' }] }, tables: {} },
  ]) {
    const refused = await call('POST', '/pipeline/execute', { file_url: 'https://e.com/a.pdf', steps });
    expect([refused.status, refused.body.error.details.field], JSON.stringify(steps)).toEqual([400, 'steps']);
  }
  const badStep = await call('POST', '/pipeline/execute', {
    file_url: 'https://e.com/a.pdf',
    steps: { extract: {}, tables: { table_format: 'xml' } },
  });
  expect([badStep.status, badStep.body.error.message]).toEqual([400, expect.stringContaining('steps.tables')]);
}

describe('pipeline through the server', () => {
  const { clock, server } = serverFor({ seed: 31, apiKey: KEY, queueMs: 10, processingMs: 100 });

  it('runs every supported chain sync and async, and names the rule an unsupported one breaks', async () => {
    await everyChain(
      caller(() => server().mock.url),
      () => clock.advance(200),
    );
  });
});

describe('pipeline through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 31, queueMs: 10, processingMs: 100 });

  it('the same', async () => {
    await everyChain(
      caller(() => PULSE),
      () => clock.advance(200),
    );
  });
});
