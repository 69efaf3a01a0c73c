import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pythonPath } from '../../scripts/test-deps.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import { jsonCaller, mswPulseFor, PULSE, type JsonCall } from '../adapters.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

/**
 * Issue 19 (split, schema, tables) as a user's code reads them, with the request shapes of
 * ../shared/pulse-api-surface.md sections 4.1-4.4, through the server and through msw, sync and
 * async, and chained: every id returned is accepted by the next call.
 */
const KEY = 'sk_ops';
type Call = JsonCall;
const ajv = new Ajv2020({ strict: false });

const caller = (base: () => string): Call => jsonCaller(base, KEY);

const SCHEMA = {
  type: 'object',
  properties: { account_holder: { type: 'string' }, closing_balance: { type: 'number' } },
  required: ['account_holder', 'closing_balance'],
};
const TOPICS = [{ name: 'Account summary', description: 'Holder, period, balances' }, { name: 'Transactions' }];

/** Runs the chain extract -> split -> schema (single, then split mode) -> tables, sync or async, and checks what a user reads. */
async function chain(call: Call, settle: () => Promise<void>, async: boolean) {
  /** A sync answer, or the result of the job an async call started. */
  const run = async (path: string, body: Record<string, unknown>) => {
    const res = await call('POST', path, { ...body, ...(async ? { async: true } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (!async) return res.body;
    expect(res.body).toMatchObject({ job_id: expect.any(String), status: 'pending' });
    await settle();
    const job = await call('GET', `/job/${res.body.job_id}`);
    expect(job.body).toMatchObject({ status: 'completed' });
    return job.body.result as Record<string, any>;
  };
  const extract = await run('/extract', { file_url: 'https://e.com/statement-3p.pdf' });
  const extractionId = extract.extraction_id as string;
  const content = new Map<string, string>();
  for (const k of ['Title', 'Text', 'Tables', 'Images'] as const)
    for (const b of extract.bounding_boxes[k]) content.set(b.id, b.content);

  const split = await run('/split', { extraction_id: extractionId, split_config: { split_input: TOPICS } });
  expect(split.split_id).toEqual(expect.any(String));
  for (const t of TOPICS) {
    const pages = split.split_output.splits[t.name] as number[];
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages) {
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(extract.page_count);
    }
  }
  expect(split.split_output.splits['Account summary']).toEqual([1]);

  const first = await run('/schema', {
    extraction_id: extractionId,
    schema_config: { input_schema: SCHEMA, schema_prompt: 'Use the summary box' },
  });
  const second = await run('/schema', { extraction_id: extractionId, schema_config: { input_schema: SCHEMA } });
  expect([first.version, second.version]).toEqual([1, 2]);
  expect(first.schema_id).not.toBe(second.schema_id);
  expect(ajv.validate(SCHEMA, first.schema_output.values)).toBe(true);
  for (const [path, ids] of Object.entries(first.schema_output.citations as Record<string, string[]>)) {
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(content.get(id)).toContain(String(first.schema_output.values[path]));
  }

  const bySplit = await run('/schema', {
    split_id: split.split_id,
    split_schema_config: { 'Account summary': { schema: SCHEMA } },
  });
  // Split mode reads only the topic's pages: the holder is on page 1, the closing balance is not.
  expect(bySplit).toMatchObject({
    schema_id: expect.any(String),
    split_id: split.split_id,
    results: {
      'Account summary': {
        values: { account_holder: first.schema_output.values.account_holder },
        citations: { account_holder: first.schema_output.citations.account_holder, closing_balance: [] },
      },
    },
  });

  const tables = await run('/tables', {
    extraction_id: extractionId,
    tables_config: { table_format: 'json', merge: true },
  });
  expect(tables.tables_id).toEqual(expect.any(String));
  const [merged] = tables.tables_output.tables as {
    table_content: { headers: string[]; rows: Record<string, string>[] };
    citations: string[];
    from_chart: boolean;
  }[];
  expect(merged?.citations.length).toBe(3); // one transactions table per page, merged
  for (const row of merged?.table_content.rows ?? []) expect(Object.keys(row)).toEqual(merged?.table_content.headers);
  const html = await run('/tables', { extraction_id: extractionId });
  expect(html.tables_output.tables).toHaveLength(3);
  expect(html.tables_output.tables[0].table_content).toMatch(/^<table><thead><tr><th>Date<\/th>/);
  return { extract, split, first, bySplit, tables };
}

function expectRefusals(call: Call) {
  return async (extractionId: string, splitId: string) => {
    const notFound = await call('POST', '/split', { extraction_id: 'nope', split_config: { split_input: TOPICS } });
    expect(notFound).toMatchObject({
      status: 404,
      body: { error: { code: 'EXTRACTION_NOT_FOUND', details: { extraction_id: 'nope' } } },
    });
    expect((await call('POST', '/split', { extraction_id: extractionId })).status).toBe(400);
    expect(
      (
        await call('POST', '/split', {
          extraction_id: extractionId,
          split_config: { split_input: TOPICS },
          split_config_id: 'x',
        })
      ).status,
    ).toBe(400);
    const notTopic = await call('POST', '/schema', {
      split_id: splitId,
      split_schema_config: { Weather: { schema: SCHEMA } },
    });
    expect([notTopic.status, notTopic.body.error.message]).toEqual([
      400,
      expect.stringContaining('"Weather" is not a topic'),
    ]);
    expect(
      (
        await call('POST', '/schema', {
          extraction_id: extractionId,
          schema_config: { input_schema: SCHEMA, excel_template: 'UEs=' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('POST', '/schema', { extraction_id: extractionId, schema_config_id: 'preset-that-does-not-exist' }))
        .status,
    ).toBe(404);
    expect((await call('POST', '/schema', { split_id: 'nope', split_schema_config: {} })).status).toBe(404);
    expect((await call('POST', '/tables', { extraction_id: 'nope' })).status).toBe(404);
  };
}

describe('split, schema and tables through the server', () => {
  const clock = new ManualClock();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 8, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 10, processingMs: 100 },
      }),
      { clock },
    );
  });
  afterAll(() => server.mock.close());
  const call = caller(() => server.mock.url);
  const settle = () => clock.advance(200);

  it('sync: the whole chain, and refusals that say why', async () => {
    const { extract, split } = await chain(call, settle, false);
    await expectRefusals(call)(extract.extraction_id, split.split_id);
  });

  it('async: every call a job, polled by GET /job, with job.* events, and cancellable', async () => {
    const types: string[] = [];
    server.runtime.core.onEvent((e) => types.push(`${server.runtime.core.jobs.get(e.jobId)?.kind} ${e.type}`));
    await chain(call, settle, true);
    for (const kind of ['split', 'schema', 'tables'])
      expect(types).toEqual(
        expect.arrayContaining([`${kind} job.created`, `${kind} job.processing`, `${kind} job.completed`]),
      );
    const { extraction_id } = (await call('POST', '/extract', { file_url: 'https://e.com/invoice.pdf' })).body;
    const started = await call('POST', '/tables', { extraction_id, async: true });
    expect(started.body.tables_id).toBe(started.body.job_id);
    expect((await call('DELETE', `/job/${started.body.job_id}`)).status).toBe(200);
    expect((await call('GET', `/job/${started.body.job_id}`)).body.status).toBe('canceled');
  });

  it('a split still running is named as such, not as a missing one', async () => {
    const { extraction_id } = (await call('POST', '/extract', { file_url: 'https://e.com/statement.pdf' })).body;
    const pending = (
      await call('POST', '/split', { extraction_id, split_config: { split_input: TOPICS }, async: true })
    ).body.job_id as string;
    const early = await call('POST', '/schema', {
      split_id: pending,
      split_schema_config: { Transactions: { schema: SCHEMA } },
    });
    expect(early).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_READY', details: { split_id: pending, status: 'pending' } } },
    });
    expect(early.body.error.message).toBe(
      `The split "${pending}" is pending; use it once its job has completed (GET /job/${pending}).`,
    );
    await settle();
    expect(
      (await call('POST', '/schema', { split_id: pending, split_schema_config: { Transactions: { schema: SCHEMA } } }))
        .status,
    ).toBe(200);
  });

  it('the same seed gives the same ids and bodies', async () => {
    const again = await startServer(
      resolveConfig({ env: {}, options: { seed: 77, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
    const once = await startServer(
      resolveConfig({ env: {}, options: { seed: 77, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
    const callOn = (s: RunningServer) => caller(() => s.mock.url);
    const a = await chain(callOn(again), async () => {}, false);
    const b = await chain(callOn(once), async () => {}, false);
    expect(JSON.parse(JSON.stringify(b).replaceAll(once.mock.url, ''))).toEqual(
      JSON.parse(JSON.stringify(a).replaceAll(again.mock.url, '')),
    );
    await again.mock.close();
    await once.mock.close();
  });
});

/** openpyxl (Debian's python3-openpyxl): writes the template, reads what the mock returns. */
const openpyxl = (code: string, ...args: string[]) =>
  execFileSync(pythonPath(), ['-c', `import sys, json, openpyxl\n${code}`, ...args], { encoding: 'utf8' });

describe('schema in Excel template mode', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      resolveConfig({ env: {}, options: { seed: 5, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
  });
  afterAll(() => server.mock.close());
  const call = caller(() => server.mock.url);

  it("reads the template's header row, fills the values from the document, and GET /schema/{id}/excel returns a workbook openpyxl reads", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-xlsx-'));
    const template = join(dir, 'template.xlsx');
    openpyxl(
      'wb = openpyxl.Workbook(); ws = wb.active; ws.append(["Account holder", "Closing balance", "Bank name", "Favourite colour"]); ws.append(["", 0.0, "", ""]); wb.save(sys.argv[1])',
      template,
    );
    const { extraction_id } = (await call('POST', '/extract', { file_url: 'https://e.com/statement.pdf' })).body;
    const run = await call('POST', '/schema', {
      extraction_id,
      schema_config: { excel_template: readFileSync(template).toString('base64') },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({ version: 1, excel_output_url: `/schema/${run.body.schema_id}/excel` });
    const values = run.body.schema_output.values as Record<string, unknown>;
    expect(Object.keys(values)).toEqual(['Account holder', 'Closing balance', 'Bank name', 'Favourite colour']);
    expect(typeof values['Closing balance']).toBe('number');
    expect(run.body.schema_output.citations).toMatchObject({
      'Account holder': [expect.stringMatching(/^txt-/)],
      'Favourite colour': [],
    });

    const xlsx = await call('GET', run.body.excel_output_url as string);
    expect([xlsx.status, xlsx.body.type]).toEqual([
      200,
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    const out = join(dir, 'filled.xlsx');
    writeFileSync(out, xlsx.body.bytes);
    const rows = JSON.parse(
      openpyxl(
        'ws = openpyxl.load_workbook(sys.argv[1]).active; print(json.dumps([[c for c in r] for r in ws.iter_rows(values_only=True)]))',
        out,
      ),
    ) as unknown[][];
    expect(rows[0]).toEqual(Object.keys(values));
    expect(rows[1]).toEqual(Object.values(values));

    const bad = await call('POST', '/schema', {
      extraction_id,
      schema_config: { excel_template: Buffer.from('not a workbook').toString('base64') },
    });
    expect([bad.status, bad.body.error.details.field]).toEqual([400, 'schema_config.excel_template']);
    const both = await call('POST', '/schema', {
      extraction_id,
      schema_config: { excel_template: 'UEs=', input_schema: SCHEMA },
    });
    expect(both.status).toBe(400);
    const plain = (await call('POST', '/schema', { extraction_id, schema_config: { input_schema: SCHEMA } })).body;
    expect(plain.version).toBe(2);
    expect((await call('GET', `/schema/${plain.schema_id}/excel`)).status).toBe(404);
    expect((await call('GET', '/schema/nope/excel')).status).toBe(404);
  });
});

describe('runs that chain across a --state restart, with faults and outcome rules', () => {
  it('an extraction and a split made before a restart are read after it; a fault on /tables and x-pulse-mock-outcome apply', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'pm-ops-state-')), 'state');
    const clock = new ManualClock();
    const config = resolveConfig({
      env: {},
      options: { seed: 12, apiKey: KEY, port: 0, host: '127.0.0.1', state, queueMs: 10, processingMs: 100 },
    });
    let server = await startServer(config, { clock });
    const call = caller(() => server.mock.url);
    const { extraction_id } = (await call('POST', '/extract', { file_url: 'https://e.com/statement-2p.pdf' })).body;
    const split = (await call('POST', '/split', { extraction_id, split_config: { split_input: TOPICS } })).body;
    await server.mock.close();

    server = await startServer(config, { clock });
    try {
      const again = (await call('POST', '/split', { extraction_id, split_config: { split_input: TOPICS } })).body;
      expect(again.split_output).toEqual(split.split_output);
      expect(
        (
          await call('POST', '/schema', {
            split_id: split.split_id,
            split_schema_config: { Transactions: { schema: SCHEMA } },
          })
        ).status,
      ).toBe(200);
      expect((await call('GET', `/job/${split.split_id}`)).body).toMatchObject({
        status: 'completed',
        result: { split_id: split.split_id },
      });

      server.mock.faults.add({
        fault: { kind: 'api-error', status: 503 },
        scope: { routes: ['tables'] },
        when: { nth: [1] },
      });
      expect((await call('POST', '/tables', { extraction_id })).status).toBe(503);
      expect((await call('POST', '/tables', { extraction_id })).status).toBe(200);
      expect(server.mock.requests({ route: 'tables' }).map((r) => r.status)).toEqual([503, 200]);

      const failing = (
        await call(
          'POST',
          '/split',
          { extraction_id, split_config: { split_input: TOPICS }, async: true },
          { 'x-pulse-mock-outcome': 'failed', 'x-pulse-mock-error': 'Split engine down' },
        )
      ).body;
      await clock.advance(200);
      expect((await call('GET', `/job/${failing.job_id}`)).body).toMatchObject({
        status: 'failed',
        error: 'Split engine down',
      });
    } finally {
      await server.mock.close();
    }
  });
});

describe('schema versions', () => {
  it('count on per extraction across a --state restart; a refused run takes none; an unknown id is a 404 each time', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'pm-versions-')), 'state');
    const config = resolveConfig({ env: {}, options: { seed: 13, apiKey: KEY, port: 0, host: '127.0.0.1', state } });
    let server = await startServer(config, { clock: new ManualClock() });
    const call = caller(() => server.mock.url);
    const run = async (extraction_id: string) =>
      (await call('POST', '/schema', { extraction_id, schema_config: { input_schema: SCHEMA } })).body
        .version as number;
    const a = (await call('POST', '/extract', { file_url: 'https://e.com/statement-2p.pdf' })).body
      .extraction_id as string;
    const b = (await call('POST', '/extract', { file_url: 'https://e.com/invoice.pdf' })).body.extraction_id as string;
    expect([await run(a), await run(a), await run(b)]).toEqual([1, 2, 1]);
    await server.mock.close();

    server = await startServer(config, { clock: new ManualClock() });
    try {
      const refused = await call('POST', '/schema', {
        extraction_id: a,
        schema_config: { input_schema: { type: 'bogus' } },
      });
      expect(refused.status).toBe(400);
      expect([await run(a), await run(b), await run(a)]).toEqual([3, 2, 4]);
      for (let i = 0; i < 2; i++)
        expect(
          (
            await call('POST', '/schema', {
              extraction_id: 'no-such-extraction',
              schema_config: { input_schema: SCHEMA },
            })
          ).status,
        ).toBe(404);
    } finally {
      await server.mock.close();
    }
  });
});

describe('saved presets from the config file', () => {
  it('extractionConfigId, split_config_id and schema_config_id name them (inline fields win); an unknown id is a 404 naming it; a bad preset stops the start', async () => {
    const presets = [
      { id: 'first-page', kind: 'extraction', options: { pages: '1', model: 'pulse-ultra-2' } },
      { id: 'statement-topics', kind: 'split', split_input: TOPICS },
      { id: 'holder', kind: 'schema', input_schema: SCHEMA },
    ];
    const server = await startServer(
      resolveConfig({ env: {}, options: { seed: 6, apiKey: KEY, port: 0, host: '127.0.0.1', presets } }),
      { clock: new ManualClock() },
    );
    const call = caller(() => server.mock.url);
    try {
      const extract = (
        await call('POST', '/extract', { file_url: 'https://e.com/statement-3p.pdf', extractionConfigId: 'first-page' })
      ).body;
      expect(extract.page_count).toBe(1);
      expect(
        (
          await call('POST', '/extract', {
            file_url: 'https://e.com/statement-3p.pdf',
            extractionConfigId: 'first-page',
            pages: '1-2',
          })
        ).body.page_count,
      ).toBe(2);
      const split = (
        await call('POST', '/split', { extraction_id: extract.extraction_id, split_config_id: 'statement-topics' })
      ).body;
      expect(Object.keys(split.split_output.splits)).toEqual(TOPICS.map((t) => t.name));
      const schema = (
        await call('POST', '/schema', { extraction_id: extract.extraction_id, schema_config_id: 'holder' })
      ).body;
      expect(ajv.validate(SCHEMA, schema.schema_output.values)).toBe(true);
      const bySplit = await call('POST', '/schema', {
        split_id: split.split_id,
        split_schema_config: { 'Account summary': { schema_config_id: 'holder' } },
      });
      expect(bySplit.status).toBe(200);
      const unknown = await call('POST', '/split', { extraction_id: extract.extraction_id, split_config_id: 'nope' });
      expect(unknown).toMatchObject({ status: 404, body: { error: { details: { split_config_id: 'nope' } } } });
      expect(
        (await call('POST', '/extract', { file_url: 'https://e.com/a.pdf', extractionConfigId: 'nope' })).status,
      ).toBe(404);
    } finally {
      await server.mock.close();
    }
    // Each operation checks its own presets when the mock starts: one line naming the entry.
    const starting = (presets: unknown[]) => () => createRuntime(resolveConfig({ env: {}, options: { presets } }));
    expect(starting([{ id: 'x', kind: 'split' }])).toThrow(
      '[pulse-mock] invalid presets[0] (preset "x"): missing "split_input"',
    );
    expect(starting([{ id: 'y', kind: 'splits', split_input: TOPICS }])).toThrow(
      '[pulse-mock] invalid presets[0].kind: "splits"; expected one of extraction, split, schema',
    );
    expect(starting([{ id: 'z', kind: 'schema' }])).toThrow(ConfigError);
  });
});

describe('split, schema and tables through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 8, queueMs: 10, processingMs: 100 });
  const call = caller(() => PULSE);

  it('sync and async, the same chain as the server', async () => {
    const sync = await chain(call, () => clock.advance(200), false);
    await chain(call, () => clock.advance(200), true);
    await expectRefusals(call)(sync.extract.extraction_id, sync.split.split_id);
  });
});
