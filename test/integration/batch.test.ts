import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { jsonCaller, mswPulseFor, PULSE, type JsonCall } from '../adapters.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

/** Issue 20, batch: a parent job with a child per item, `workers` honoured, progress that adds up, chains. */
const KEY = 'sk_batch';
type Call = JsonCall;
const caller = (base: () => string): Call => jsonCaller(base, KEY);

interface Progress {
  total: number;
  completed: number;
  failed: number;
  canceled: number;
  running: number;
  items: { index: number; input: string; status: string; job_id: string; extraction_id?: string }[];
}
const addsUp = (p: Progress) => expect(p.completed + p.failed + p.canceled + p.running).toBe(p.total);

describe('batch through the server', () => {
  const clock = new ManualClock();
  let server: RunningServer;
  const outputDir = mkdtempSync(join(tmpdir(), 'pm-batch-out-'));
  beforeAll(async () => {
    const outcomes = [{ match: '*broken*', outcome: 'failed', error: 'The PDF is corrupt.' }];
    server = await startServer(
      resolveConfig({
        env: {},
        options: {
          seed: 14,
          apiKey: KEY,
          port: 0,
          host: '127.0.0.1',
          queueMs: 10,
          processingMs: 100,
          outcomes,
          outputDir,
          s3PrefixItems: 3,
        },
      }),
      { clock },
    );
  });
  afterAll(() => server.mock.close());
  const call = caller(() => server.mock.url);

  it('20 files with workers: 4 never has more than 4 children processing; progress adds up at every poll; failed children are counted and the parent completes', async () => {
    const file_urls = Array.from(
      { length: 20 },
      (_, i) => `https://e.com/${i % 7 === 3 ? 'broken' : 'statement'}-${i}.pdf`,
    );
    const started = await call('POST', '/batch/extract', {
      input: { file_urls },
      output: { s3_prefix: 's3://results/pulse/' },
      workers: 4,
    });
    expect(started).toMatchObject({ status: 202, body: { status: 'processing', total_files: 20 } });
    const id = started.body.batch_job_id as string;
    let maxProcessing = 0;
    let polls = 0;
    for (let step = 0; step < 40; step++) {
      const job = (await call('GET', `/job/${id}`)).body;
      const progress = job.result as Progress;
      addsUp(progress);
      maxProcessing = Math.max(maxProcessing, progress.items.filter((i) => i.status === 'processing').length);
      polls++;
      if (job.status === 'completed') break;
      await clock.advance(50);
    }
    expect(polls).toBeGreaterThan(5);
    expect(maxProcessing).toBe(4);
    const done = (await call('GET', `/job/${id}`)).body;
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ total: 20, completed: 17, failed: 3, canceled: 0, running: 0 });
    expect(done.result.items.map((i: { input: string }) => i.input)).toEqual(file_urls);

    // The chain: batch extract -> batch split -> batch schema (split mode), batch tables, and /schema in multi mode.
    const split = await call('POST', '/batch/split', {
      batch_extract_id: id,
      output: { s3_prefix: 's3://r/' },
      split_config: { split_input: [{ name: 'Transactions' }] },
    });
    expect(split).toMatchObject({ status: 202, body: { total_extractions: 17 } });
    await clock.advance(2000);
    const splitDone = (await call('GET', `/job/${split.body.batch_job_id}`)).body;
    expect(splitDone.result.items.every((i: { split_id?: string }) => typeof i.split_id === 'string')).toBe(true);
    const schema = await call('POST', '/batch/schema', {
      batch_split_id: split.body.batch_job_id,
      split_schema_config: {
        Transactions: { schema: { type: 'object', properties: { closing_balance: { type: 'number' } } } },
      },
      output: { s3_prefix: 's3://r/' },
    });
    expect(schema).toMatchObject({ status: 202, body: { total_splits: 17 } });
    const tables = await call('POST', '/batch/tables', {
      extraction_ids: done.result.items
        .slice(0, 2)
        .map((i: { extraction_id?: string }) => i.extraction_id)
        .filter(Boolean),
      output: { s3_prefix: 's3://r/' },
      tables_config: { table_format: 'json' },
    });
    expect(tables).toMatchObject({ status: 202, body: { total_extractions: 2 } });
    await clock.advance(2000);
    for (const b of [schema, tables])
      expect((await call('GET', `/job/${b.body.batch_job_id}`)).body).toMatchObject({
        status: 'completed',
        result: { failed: 0 },
      });
    // A batch schema's children are versioned per extraction, like /schema's runs.
    const batchSchema = await call('POST', '/batch/schema', {
      extraction_ids: [done.result.items[0].extraction_id],
      output: { s3_prefix: 's3://r/' },
      schema_config: { input_schema: { type: 'object' } },
    });
    await clock.advance(500);
    const child = (await call('GET', `/job/${batchSchema.body.batch_job_id}`)).body.result.items[0];
    // (The batch schema in split mode above already ran once over this extraction.)
    expect((await call('GET', `/job/${child.schema_id}`)).body.result.version).toBe(2);
    expect(
      (
        await call('POST', '/schema', {
          extraction_id: done.result.items[0].extraction_id,
          schema_config: { input_schema: { type: 'object' } },
        })
      ).body.version,
    ).toBe(3);
    const multi = await call('POST', '/schema', {
      extraction_id: id,
      schema_config: { input_schema: { type: 'object', properties: { account_holder: { type: 'string' } } } },
    });
    expect(multi.status).toBe(200);
    expect(multi.body.extraction_ids).toHaveLength(17);
    expect(Object.values(multi.body.schema_output.citations as Record<string, string[]>)[0]?.[0]).toMatch(
      /^[0-9a-f-]{36}-txt-\d+$/,
    );
  });

  it('a cancelled parent leaves no child running, and every child and the parent announce it', async () => {
    const events: string[] = [];
    server.runtime.core.onEvent((e) => events.push(`${e.jobId} ${e.type}`));
    const started = await call('POST', '/batch/extract', {
      input: { s3_prefix: 's3://bucket/filings/' },
      output: { s3_prefix: 's3://out/' },
      workers: 1,
    });
    expect(started.body.total_files).toBe(3);
    const id = started.body.batch_job_id as string;
    await clock.advance(20);
    const before = (await call('GET', `/job/${id}`)).body.result as Progress;
    expect(before.items.map((i) => i.input)).toEqual([
      's3://bucket/filings/document-1.pdf',
      's3://bucket/filings/document-2.pdf',
      's3://bucket/filings/document-3.pdf',
    ]);
    expect((await call('DELETE', `/job/${id}`)).status).toBe(200);
    const after = (await call('GET', `/job/${id}`)).body;
    expect(after.status).toBe('canceled');
    expect(after.result ?? server.runtime.core.childrenOf(id).map((c) => c.status)).toBeDefined();
    expect(server.runtime.core.childrenOf(id).map((c) => c.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(events.filter((e) => e.endsWith('job.cancelled'))).toHaveLength(4);
  });

  it('output.local_path writes one result JSON per item inside --output-dir, and nowhere else', async () => {
    const started = await call('POST', '/batch/extract', {
      input: { file_urls: ['https://e.com/a.pdf', 'https://e.com/b.pdf'] },
      output: { local_path: 'nightly/run-1' },
    });
    expect(started.status).toBe(202);
    await clock.advance(500);
    const dir = join(outputDir, 'nightly/run-1');
    await vi.waitFor(() => expect(readdirSync(dir)).toHaveLength(2));
    const first = JSON.parse(readFileSync(join(dir, readdirSync(dir).sort()[0] as string), 'utf8')) as {
      markdown: string;
      extraction_id: string;
    };
    expect(first.markdown.length).toBeGreaterThan(0);
    for (const local_path of ['../escape', '/etc/pulse', `${outputDir}/../x`]) {
      const refused = await call('POST', '/batch/extract', {
        input: { file_urls: ['https://e.com/a.pdf'] },
        output: { local_path },
      });
      expect([refused.status, refused.body.error.details.field]).toEqual([400, 'output.local_path']);
    }
    expect(
      (
        await call('POST', '/batch/extract', {
          input: { file_urls: ['https://e.com/a.pdf'] },
          output: { local_path: join(outputDir, 'absolute-inside') },
        })
      ).status,
    ).toBe(202);
  });

  it('refuses what it cannot do, saying why', async () => {
    expect((await call('POST', '/batch/extract', { input: {}, output: { s3_prefix: 's3://o/' } })).status).toBe(400);
    expect(
      (await call('POST', '/batch/extract', { input: { file_urls: ['https://e.com/a.pdf'] }, output: {} })).status,
    ).toBe(400);
    expect(
      (
        await call('POST', '/batch/extract', {
          input: { file_urls: ['https://e.com/a.pdf'] },
          output: { s3_prefix: 's3://o/' },
          workers: 11,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call('POST', '/batch/split', {
          batch_extract_id: 'nope',
          output: { s3_prefix: 's3://o/' },
          split_config: { split_input: [{ name: 'x' }] },
        })
      ).status,
    ).toBe(404);
    expect((await call('POST', '/batch/tables', { output: { s3_prefix: 's3://o/' } })).status).toBe(400);
  });
});

describe('batch through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 14, queueMs: 10, processingMs: 100, s3PrefixItems: 5 });
  const call = caller(() => PULSE);

  it('an s3_prefix stands for --s3-prefix-items files', async () => {
    const started = await call('POST', '/batch/extract', {
      input: { s3_prefix: 's3://bucket/in' },
      output: { s3_prefix: 's3://o/' },
    });
    expect(started.body.total_files).toBe(5);
  });

  it('a batch extract of base64 files runs its children and chains into /batch/tables', async () => {
    const files = ['a.pdf', 'b.pdf'].map((filename) => ({
      filename,
      content: Buffer.from(`%PDF-1.4 ${filename}`).toString('base64'),
    }));
    const started = await call('POST', '/batch/extract', {
      input: { files },
      output: { s3_prefix: 's3://o/' },
      extract_options: { pages: '1' },
    });
    expect(started).toMatchObject({ status: 202, body: { total_files: 2 } });
    await clock.advance(500);
    const done = (await call('GET', `/job/${started.body.batch_job_id}`)).body;
    expect(done).toMatchObject({ status: 'completed', result: { completed: 2 } });
    const tables = await call('POST', '/batch/tables', {
      batch_extract_id: started.body.batch_job_id,
      output: { s3_prefix: 's3://o/' },
    });
    expect(tables).toMatchObject({ status: 202, body: { total_extractions: 2 } });
  });
});
