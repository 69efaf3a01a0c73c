import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pythonPath } from '../../scripts/test-deps.js';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { probeHealth } from './health-probe.js';
import { report } from './report.js';

/**
 * Issue 28: hostile files and big batches, over real sockets. Every input that makes work has a
 * bound enforced before the work, and `/health` answers within a second throughout each attack.
 */
const SOAK = process.env.RELIABILITY_REPORT !== undefined;
const attack = (probe: string, result: string) => report('attack', { probe, result });
const KEY = 'sk_hostile';
let server: RunningServer;
let health: ReturnType<typeof probeHealth>;

beforeAll(async () => {
  server = await startServer(
    resolveConfig({ env: {}, options: { seed: 28, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
    { clock: new ManualClock() },
  );
});
afterAll(() => server.mock.close());
beforeEach(() => {
  health = probeHealth(server.mock.url);
});
afterEach(async (ctx) => {
  const { worstMs, probes } = await health.stop();
  report('health-probe', { test: ctx.task.name, worstMs, probes });
  expect(worstMs, 'the slowest /health answer during the attack').toBeLessThan(1000);
});

async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  const multipart = body instanceof FormData;
  const res = await fetch(`${server.mock.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, ...(multipart ? {} : { 'content-type': 'application/json' }), ...headers },
    body: multipart ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { code: string; message: string; details: Record<string, unknown> };
    } & Record<string, any>,
  };
}

/** A PDF whose body holds `pages` page dictionaries, 14 bytes each (what a hostile upload claims). */
function pdfWithPages(pages: number): Blob {
  return new Blob(['%PDF-1.4\n', '<</Type/Page>>'.repeat(pages), '\n%%EOF\n'], { type: 'application/pdf' });
}

describe('pages: one cap, 5,000, for every source, refused before any work', () => {
  it(`an upload with ${SOAK ? '1e6' : '20,000'} page objects is a 400 naming the file, and nothing is built`, async () => {
    const pages = SOAK ? 1_000_000 : 20_000;
    const form = await health.excluding(() => {
      const f = new FormData();
      f.set('file', pdfWithPages(pages), 'huge.pdf');
      return f;
    });
    const started = performance.now();
    const r = await call('/extract', form);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      code: 'INVALID_PARAMETER',
      details: { field: 'file', pages, max_pages: 5000 },
    });
    expect(r.body.error?.message).toBe(
      `The uploaded PDF huge.pdf has ${pages} pages; at most 5000 pages are processed per document.`,
    );
    attack(`upload with ${pages} page objects`, `400 naming file in ${Math.round(performance.now() - started)} ms`);
  });

  it('a file name claiming 9,999 pages is a 400 naming file_url; 5,000 is accepted', async () => {
    const r = await call('/extract', { file_url: 'https://e.com/report-9999p.pdf', async: true });
    expect(r.status).toBe(400);
    expect(r.body.error?.details).toMatchObject({ field: 'file_url', pages: 9999 });
    const ok = await call('/extract', { file_url: 'https://e.com/report-5000p.pdf', async: true });
    expect(ok.status).toBe(200);
    attack('file name report-9999p.pdf', '400 naming file_url');
  });

  it('x-pulse-mock-pages past 5,000 is a 400 naming the header', async () => {
    const r = await call(
      '/extract',
      { file_url: 'https://e.com/a.pdf', async: true },
      { 'x-pulse-mock-pages': '5001' },
    );
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain('x-pulse-mock-pages');
  });
});

describe('a batch and its children are kept and evicted together', () => {
  it('with --max-jobs 100, a 60-item batch keeps all 60 items while 80 more jobs come and go; 150 items are refused naming the flag', async () => {
    const clock = new ManualClock();
    const small = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 29, apiKey: KEY, port: 0, host: '127.0.0.1', maxJobs: 100, queueMs: 10, processingMs: 100 },
      }),
      { clock },
    );
    const send = (path: string, body: unknown) =>
      fetch(`${small.mock.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://e.com/item-${i}.pdf`);
      const batch = (await (
        await send('/batch/extract', { input: { file_urls: urls(60) }, output: { s3_prefix: 's3://o/' }, workers: 10 })
      ).json()) as { batch_job_id: string };
      for (let i = 0; i < 80; i++) await send('/extract', { file_url: `https://e.com/other-${i}.pdf`, async: true });
      for (let i = 0; i < 12; i++) await clock.advance(120);
      const job = (await (
        await fetch(`${small.mock.url}/job/${batch.batch_job_id}`, { headers: { 'x-api-key': KEY } })
      ).json()) as { status: string; result: { total: number; completed: number; items: unknown[] } };
      expect(job.status).toBe('completed');
      expect([job.result.total, job.result.completed, job.result.items.length]).toEqual([60, 60, 60]);

      const refused = await send('/batch/extract', {
        input: { file_urls: urls(150) },
        output: { s3_prefix: 's3://o/' },
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('--max-jobs');
      attack(
        '300-item batch with --max-jobs 100',
        '400 naming --max-jobs; a 60-item batch keeps 60/60 through 80 more jobs',
      );
    } finally {
      await small.mock.close();
    }
  });
});

/**
 * An .xlsx made by Python's zipfile: `parts` name -> XML text, deflated. In a child process, not
 * blocking this one: the server under test shares it (a blocked loop let its keep-alive sockets
 * time out under the next request).
 */
async function xlsx(parts: Record<string, string>): Promise<string> {
  const script = `import base64, io, json, sys, zipfile
parts = json.loads(sys.stdin.read())
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name, text in parts.items(): z.writestr(name, text)
print(base64.b64encode(buf.getvalue()).decode())`;
  const child = execFile(pythonPath(), ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`python exited ${code}`))));
  });
  child.stdin!.end(JSON.stringify(parts));
  return out;
}
const sheet = (rows: string) =>
  `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;

describe('Excel templates are read with bounds: only two rows, no part past 4 MB unpacked', () => {
  let extractionId: string;
  beforeAll(async () => {
    extractionId = (await call('/extract', { file_url: 'https://e.com/statement.pdf' })).body.extraction_id as string;
  });
  const template = (excel_template: string) =>
    call('/schema', { extraction_id: extractionId, schema_config: { excel_template } });

  it(`a zip bomb (${SOAK ? '400' : '40'} MB of sheet in a few KB) is a 400 at once`, async () => {
    const filler = SOAK ? 400 : 40;
    const bomb = await health.excluding(() =>
      xlsx({
        'xl/worksheets/sheet1.xml': sheet(
          `<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>${' '.repeat(filler * 1024 * 1024)}`,
        ),
      }),
    );
    const started = performance.now();
    const r = await template(bomb);
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(
      /excel_template is not a usable \.xlsx template \(base64\): its xl\/worksheets\/sheet1\.xml is \d+ bytes unpacked/,
    );
    attack(
      `xlsx zip bomb, ${Math.round(bomb.length / 1024)} KB base64 -> ${filler} MB`,
      `400 in ${Math.round(performance.now() - started)} ms`,
    );
  });

  it('a string table of 100,000 entries costs only the strings the two rows name', async () => {
    const strings = Array.from({ length: 100_000 }, (_, i) => `<si><t>string number ${i}</t></si>`).join('');
    const file = await health.excluding(() =>
      xlsx({
        'xl/sharedStrings.xml': `<sst>${strings}</sst>`,
        'xl/worksheets/sheet1.xml': sheet(
          '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>12.5</v></c></row>',
        ),
      }),
    );
    const rss = process.memoryUsage().rss;
    const r = await template(file);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.schema_output.values as object)).toEqual(['string number 0', 'string number 1']);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    attack('xlsx with a 100,000-entry string table', '200, reads the 3 strings used');
  });

  it('a header name past 200 characters is a 400 naming excel_template', async () => {
    const file = await health.excluding(() =>
      xlsx({
        'xl/worksheets/sheet1.xml': sheet(
          `<row r="1"><c r="A1" t="inlineStr"><is><t>${'h'.repeat(100_000)}</t></is></c></row>`,
        ),
      }),
    );
    const r = await template(file);
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toContain('a column name of 100000 characters; at most 200');
    attack('xlsx with a 100,000-character header', '400 naming excel_template');
  });

  it('a template that is not a zip, or has no sheet, is a 400 saying so', async () => {
    expect((await template(Buffer.from('not a zip').toString('base64'))).body.error?.message).toContain(
      'it is not a zip file',
    );
    expect((await template(await xlsx({ 'other.xml': '<x/>' }))).body.error?.message).toContain('it has no worksheet');
  });
});

describe('JSON fields get the JSON limit, and batch and pipeline items their route limits, before any work', () => {
  it(`a ${SOAK ? '100k' : '60k'}-property input_schema is a 413 naming --json-body-limit, though /schema takes 50 MB templates`, async () => {
    const n = SOAK ? 100_000 : 60_000;
    const properties = Object.fromEntries(Array.from({ length: n }, (_, i) => [`field_${i}`, { type: 'string' }]));
    const started = performance.now();
    const r = await call('/schema', {
      extraction_id: 'x',
      schema_config: { input_schema: { type: 'object', properties } },
    });
    expect(r.status).toBe(413);
    expect(r.body.error?.message).toContain('--json-body-limit, besides base64 files');
    attack(`/schema with a ${n}-property input_schema`, `413 in ${Math.round(performance.now() - started)} ms`);
  });

  it("a batch's extract_options get /extract's limits: a 300 KB model is a 400 naming extract_options, and no job is made", async () => {
    const before = server.mock.jobs().length;
    const r = await call('/batch/extract', {
      input: { file_urls: ['https://e.com/a.pdf'] },
      output: { s3_prefix: 's3://o/' },
      extract_options: { model: 'm'.repeat(300_000) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(/^Invalid extract_options: .*model/);
    expect(server.mock.jobs().length).toBe(before);
    attack('batch extract_options with a 300 KB model', '400 naming extract_options, no job made');
  });

  it('a pipeline whose schema step would read 1,500 extractions is refused before its batch_extract runs', async () => {
    const before = server.mock.jobs().length;
    const file_urls = Array.from({ length: 1500 }, (_, i) => `https://e.com/p-${i}.pdf`);
    const started = performance.now();
    const r = await call('/pipeline/execute', {
      steps: {
        batch_extract: { file_urls },
        schema: { input_schema: { type: 'object', properties: { a: { type: 'string' } } } },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(/^Invalid steps\.schema: .*100/);
    expect(server.mock.jobs().length).toBe(before);
    attack(
      'pipeline with 1,500 batch_extract URLs then schema',
      `400 before any step, in ${Math.round(performance.now() - started)} ms, no job left`,
    );
  });
});

describe('multi-mode schema reads at most 100 extractions, however they are named', () => {
  it("/schema on a batch extract's id with 150 extractions is a 400, as 150 extraction_ids are", async () => {
    const clock = new ManualClock();
    const quick = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 30, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 1, processingMs: 1 },
      }),
      { clock },
    );
    const send = async (path: string, body: unknown) => {
      const res = await fetch(`${quick.mock.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    try {
      const file_urls = Array.from({ length: 150 }, (_, i) => `https://e.com/s-${i}.pdf`);
      const batch = await send('/batch/extract', {
        input: { file_urls },
        output: { s3_prefix: 's3://o/' },
        workers: 10,
      });
      for (let i = 0; i < 40; i++) await clock.advance(5);
      expect(quick.mock.jobs().filter((j) => j.status === 'completed').length).toBe(151);
      const schema = { input_schema: { type: 'object', properties: { a: { type: 'string' } } } };
      const r = await send('/schema', { extraction_id: batch.body.batch_job_id, schema_config: schema });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('has 150 extractions; multi mode reads at most 100');
      attack('/schema on a 150-extraction batch id', '400 (was: merged past the 100 cap)');
    } finally {
      await quick.mock.close();
    }
  });
});

describe('endpoints and unfinished deliveries are bounded; nothing accepted is dropped', () => {
  it('past --max-endpoints one more endpoint is a 400 naming the flag', async () => {
    const few = await startServer(
      resolveConfig({ env: {}, options: { seed: 31, apiKey: KEY, port: 0, host: '127.0.0.1', maxEndpoints: 3 } }),
      { clock: new ManualClock() },
    );
    try {
      const add = (i: number) =>
        fetch(`${few.mock.url}/_mock/endpoints`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: `http://127.0.0.1:9/hook-${i}` }),
        });
      for (let i = 0; i < 3; i++) expect((await add(i)).status).toBe(201);
      const refused = await add(3);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('--max-endpoints');
      expect(() => few.mock.endpoints.add({ url: 'http://127.0.0.1:9/x' })).toThrow(/--max-endpoints/);
      attack('endpoints past --max-endpoints (2,000 made 1e6 pending deliveries)', '400 naming --max-endpoints');
    } finally {
      await few.mock.close();
    }
  });

  it('past --max-pending unfinished deliveries an async submission is a 503 BACKLOG_FULL with Retry-After; the accepted ones stay', async () => {
    const tight = await startServer(
      resolveConfig({
        env: {},
        options: {
          seed: 32,
          apiKey: KEY,
          port: 0,
          host: '127.0.0.1',
          maxPending: 10,
          webhookUrl: ['http://127.0.0.1:9/down'],
          retrySchedule: [600_000],
        },
      }),
      { clock: new ManualClock() },
    );
    try {
      const submit = () =>
        fetch(`${tight.mock.url}/extract`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true }),
        });
      for (let i = 0; i < 10; i++) expect((await submit()).status).toBe(200);
      const refused = await submit();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('BACKLOG_FULL');
      expect(tight.mock.jobs().length).toBe(10);
      expect(tight.mock.messages().filter((m) => m.eventType === 'job.created').length).toBe(10);
      expect(tight.mock.messages().every((m) => m.status === 'pending' || m.status === 'sending')).toBe(true);
      attack(
        'async submissions past --max-pending',
        '503 BACKLOG_FULL with Retry-After; the 10 accepted keep their deliveries',
      );
    } finally {
      await tight.mock.close();
    }
  });
});

describe('forms take a bad file_url as extract does: a 400 naming it, never a 500', () => {
  it.each(['not a url', 'http://[::1', '%', 'ftp://e.com/form.pdf'])('file_url %j', async (file_url) => {
    for (const op of ['detect', 'fill', 'clear']) {
      const r = await call(`/form/${op}`, { file_url, ...(op === 'fill' ? { instructions: 'Name is Jo' } : {}) });
      expect([op, r.status, r.body.error?.details.field]).toEqual([op, 400, 'file_url']);
    }
  });

  it('a file_url whose name does not decode is taken as written, as extract takes it', async () => {
    const r = await call('/form/detect', { file_url: 'https://e.com/%E0%A4%A.pdf' });
    expect(r.status).toBe(200);
    attack(
      '/form/* with file_url "not a url", "%", "http://[::1", a malformed escape',
      '400 naming file_url (was 500), or 200',
    );
  });
});

describe('batch output paths: checked on the real path, at submission and at write time', () => {
  let outputDir: string;
  let outside: string;
  let out: RunningServer;
  const clock = new ManualClock();
  beforeAll(async () => {
    outputDir = mkdtempSync(join(tmpdir(), 'pm-out-'));
    outside = mkdtempSync(join(tmpdir(), 'pm-outside-'));
    symlinkSync(outside, join(outputDir, 'escape'));
    out = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 33, apiKey: KEY, port: 0, host: '127.0.0.1', outputDir, queueMs: 1, processingMs: 1 },
      }),
      { clock },
    );
  });
  afterAll(() => out.mock.close());
  const batch = async (local_path: string) => {
    const res = await fetch(`${out.mock.url}/batch/extract`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        input: { file_urls: ['https://e.com/a.pdf', 'https://e.com/b.pdf'] },
        output: { local_path },
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('a symlink inside --output-dir that leads out is refused: no file is written outside', async () => {
    for (const path of ['escape', 'escape/deeper/still']) {
      const r = await batch(path);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body.error.message).toContain('must be inside the output directory');
    }
    expect(readdirSync(outside)).toEqual([]);
    attack(
      'batch output.local_path through a symlink out of --output-dir',
      '400, nothing written outside (3 files were)',
    );
  });

  it('a NUL or a 300-byte folder name is a 400 at submission (it was accepted and written nowhere)', async () => {
    expect((await batch('a\u0000b')).body.error.message).toContain('may not contain a NUL character');
    expect((await batch(`ok/${'x'.repeat(300)}`)).body.error.message).toContain('over 255 bytes');
  });

  it('a write that fails anyway (the folder became a file) is recorded on each item, which stays completed', async () => {
    const r = await batch('later');
    writeFileSync(join(outputDir, 'later'), 'a file where the folder should go');
    for (let i = 0; i < 20; i++) await clock.advance(5);
    const items = await vi.waitFor(async () => {
      const job = (await (
        await fetch(`${out.mock.url}/job/${r.body.batch_job_id}`, { headers: { 'x-api-key': KEY } })
      ).json()) as { result: { items: { status: string; output_error?: string }[] } };
      expect(job.result.items.every((i) => i.output_error !== undefined)).toBe(true);
      return job.result.items;
    });
    expect(items.map((i) => i.status)).toEqual(['completed', 'completed']);
    expect(items[0]!.output_error).toMatch(/EEXIST|ENOTDIR/);
  });
});

describe('long work yields: a 5,000-page document read every way while /health answers', () => {
  it('extract, /large_results, /split, /schema and /tables on 5,000 pages', { timeout: 120_000 }, async () => {
    const timings: string[] = [];
    const timed = async <T>(what: string, run: () => Promise<T>) => {
      const started = performance.now();
      const out = await run();
      timings.push(`${what} ${Math.round(performance.now() - started)} ms`);
      return out;
    };
    const extract = await timed('extract', () =>
      call('/extract', { file_url: 'https://e.com/annual-report-5000p.pdf' }),
    );
    expect([extract.status, extract.body.is_url, extract.body.page_count]).toEqual([200, true, 5000]);
    const large = await timed('large_results', async () => {
      const res = await fetch(extract.body.url as string, { headers: { 'x-api-key': KEY } });
      return { status: res.status, length: (await res.arrayBuffer()).byteLength };
    });
    expect(large.status).toBe(200);
    const id = extract.body.extraction_id as string;
    const split = await timed('split', () =>
      call('/split', { extraction_id: id, split_config: { split_input: [{ name: 'Revenue' }, { name: 'Risks' }] } }),
    );
    expect(split.status).toBe(200);
    const schema = await timed('schema', () =>
      call('/schema', {
        extraction_id: id,
        schema_config: { input_schema: { type: 'object', properties: { company_name: { type: 'string' } } } },
      }),
    );
    expect(schema.status).toBe(200);
    const tables = await timed('tables', () => call('/tables', { extraction_id: id, tables_config: { merge: true } }));
    expect(tables.status).toBe(200);
    attack('a 5,000-page document: extract, large result, split, schema, tables', timings.join(', '));
  });
});
