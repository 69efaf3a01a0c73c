import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY, testApp, type TestApp } from '../helpers.js';
import { report } from './report.js';

/**
 * Property-based fuzzing of every route: whatever arrives, the answer is a 4xx in Pulse's error
 * shape (or a 2xx where the input happens to be valid), never a 5xx, and /health stays up.
 * Seeded and bounded (runs per property), so a failure replays.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
let t: TestApp;
let fuzzed = 0;
beforeAll(async () => {
  t = await testApp({ bodyLimit: 256 * 1024, webhookUrl: ['http://127.0.0.1:9/sink'], retrySchedule: '' });
});
afterAll(async () => {
  await t.app.close();
});

type Res = { statusCode: number; json(): unknown; body: string };
function expectSane(res: Res, what: string): void {
  fuzzed++;
  if (res.statusCode >= 500) throw new Error(`${what} -> ${res.statusCode}: ${res.body.slice(0, 300)}`);
  // HEAD has no body, and the portal answers a person with an HTML page.
  if (res.statusCode >= 400 && !what.startsWith('HEAD ') && !/ \/portal\b/.test(what)) {
    let body: { error?: { code?: unknown; message?: unknown; details?: unknown } };
    try {
      body = res.json() as typeof body;
    } catch {
      throw new Error(`${what} -> ${res.statusCode} with a non-JSON body: ${res.body.slice(0, 200)}`);
    }
    if (
      typeof body.error?.code !== 'string' ||
      typeof body.error.message !== 'string' ||
      typeof body.error.details !== 'object'
    )
      throw new Error(`${what} -> ${res.statusCode} not in Pulse's error shape: ${res.body.slice(0, 200)}`);
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const fieldNames = fc.constantFrom(
  'file_url',
  'fileUrl',
  'file-url',
  'async',
  'pages',
  'model',
  'structured_output',
  'structuredOutput',
  'schema',
  'extensions',
  'chunking',
  'chunk_size',
  'return_html',
  'storage',
);
const oddStrings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'true',
    'false',
    '1-2,5',
    '0',
    '-1',
    'https://e.com/a.pdf',
    'https://e.com/a.exe',
    'ftp://x',
    '%E0%A4%A',
    '{"schema":{}}',
    '[]',
    'null',
    'NaN',
    '1e309',
  ),
);
const extractBody = fc.dictionary(fieldNames, fc.oneof(jsonValue, oddStrings), { maxKeys: 8 });

describe('fuzzing the API', () => {
  it('POST /extract with random JSON objects', async () => {
    await fc.assert(
      fc.asyncProperty(extractBody, fc.boolean(), async (body, asyncPath) => {
        const res = await t.app.inject({
          method: 'POST',
          url: asyncPath ? '/extract_async' : '/extract',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        expectSane(res, `POST /extract ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('POST /extract with malformed bytes under every content type', async () => {
    const types = fc.constantFrom(
      'application/json',
      'multipart/form-data',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/xml',
      'application/json; charset=utf-16',
      '',
      'image/png',
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), types, async (bytes, type) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/extract',
          headers: { 'x-api-key': KEY, ...(type ? { 'content-type': type } : {}) },
          payload: Buffer.from(bytes),
        });
        expectSane(res, `POST /extract ${type} ${bytes.length} bytes`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('POST /extract as multipart with missing, repeated and odd parts', async () => {
    const part = fc.record({
      name: fc.oneof(fieldNames, fc.constantFrom('file', 'file', 'x')),
      value: oddStrings,
      asFile: fc.boolean(),
      filename: fc.oneof(fc.constantFrom('a.pdf', 'b.exe', '', 'x', '../../etc/passwd', 'ü.PNG'), fc.string()),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 6 }), async (parts) => {
        const form = new FormData();
        for (const p of parts) {
          if (p.asFile) form.append(p.name, new Blob([p.value]), p.filename);
          else form.append(p.name, p.value);
        }
        const req = new Request('http://x/', { method: 'POST', body: form });
        const res = await t.app.inject({
          method: 'POST',
          url: '/extract',
          headers: { 'x-api-key': KEY, 'content-type': req.headers.get('content-type') as string },
          payload: Buffer.from(await req.arrayBuffer()),
        });
        expectSane(res, `multipart ${JSON.stringify(parts).slice(0, 200)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('huge, deeply nested and wide bodies', async () => {
    // Built as text: JSON.stringify itself overflows the stack at this depth.
    const deep = `${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}`;
    const arr = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const bodies = [
      `{"file_url":"https://e.com/a.pdf","structured_output":{"schema":${deep}}}`,
      `{"file_url":"https://e.com/a.pdf","structured_output":{"schema":{"type":"object","properties":{"a":${deep}}}}}`,
      JSON.stringify({
        file_url: 'https://e.com/a.pdf',
        structured_output: {
          schema: {
            type: 'object',
            properties: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`p${i}`, { type: 'string' }])),
          },
        },
      }),
      `{"file_url":"https://e.com/a.pdf","extensions":${arr}}`,
      JSON.stringify({ file_url: `https://e.com/${'a'.repeat(100_000)}.pdf` }),
      JSON.stringify({
        file_url: 'https://e.com/a.pdf',
        pages: Array.from({ length: 5000 }, (_, i) => i + 1).join(','),
      }),
      JSON.stringify({ file_url: 'https://e.com/a.pdf', pad: 'x'.repeat(400_000) }),
      `{"file_url":"https://e.com/a.pdf","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ];
    for (const payload of bodies) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/extract',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        payload,
      });
      expectSane(res, `big body of ${payload.length} bytes`);
    }
  });

  it('structured_output with random schemas: values, or schema_error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(jsonValue, async (schema) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/extract',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          payload: JSON.stringify({ file_url: 'https://e.com/a.pdf', structured_output: { schema } }),
        });
        expectSane(res, `schema ${JSON.stringify(schema).slice(0, 200)}`);
        if (res.statusCode === 200)
          expect(Object.keys(res.json<object>())).toEqual(expect.arrayContaining(['markdown']));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('job routes with random ids and methods, odd headers and API keys', async () => {
    const methods = fc.constantFrom('GET', 'DELETE', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD') as fc.Arbitrary<'GET'>;
    const paths = fc.oneof(
      fc.string().map((s) => `/job/${encodeURIComponent(s)}`),
      fc.string().map((s) => `/cancel/${encodeURIComponent(s)}`),
      fc.string().map((s) => `/large_results/${encodeURIComponent(s)}`),
      fc.constantFrom(
        '/job/',
        '/job/%',
        '/job/%E0%A4%A',
        '/job/..%2F..',
        '/webhook',
        '/extract',
        '/health',
        '/openapi.json',
        '/portal',
        '/nope',
        '/job/a/b',
        `/job/${'x'.repeat(5000)}`,
      ),
    );
    const key = fc.oneof(fc.constant(KEY), fc.string(), fc.constant(undefined));
    await fc.assert(
      fc.asyncProperty(methods, paths, key, fc.string({ maxLength: 50 }), async (method, url, apiKey, junk) => {
        const headers: Record<string, string> = { 'x-pulse-mock-outcome': junk, 'x-pulse-mock-pages': junk };
        if (apiKey !== undefined) headers['x-api-key'] = apiKey.replace(/[^\x20-\x7e]/g, '');
        let res;
        try {
          res = await t.app.inject({ method, url, headers });
        } catch (e) {
          // light-my-request itself refuses some URLs/headers before they reach the server.
          if (/Invalid|header/i.test((e as Error).message)) return;
          throw e;
        }
        expectSane(res, `${method} ${url.slice(0, 100)}`);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('the admin API with random bodies', async () => {
    const routes = fc.constantFrom(
      ['POST', '/_mock/endpoints'],
      ['PATCH', '/_mock/endpoints/ep_x'],
      ['POST', '/_mock/faults'],
      ['PUT', '/_mock/faults'],
      ['POST', '/_mock/endpoints/ep_x/rotate-secret'],
      ['POST', '/_mock/endpoints/ep_x/recover'],
      ['POST', '/_mock/endpoints/ep_x/test'],
      ['POST', '/_mock/messages/msg_x/resend'],
      ['GET', '/_mock/messages?status=nope&limit=-1'],
    ) as fc.Arbitrary<['POST', string]>;
    const ep = (
      await t.app.inject({ method: 'POST', url: '/_mock/endpoints', payload: { url: 'http://127.0.0.1:9/x' } })
    ).json<{ id: string }>();
    await fc.assert(
      fc.asyncProperty(routes, jsonValue, async ([method, url], body) => {
        const res = await t.app.inject({
          method,
          url: url.replace('ep_x', ep.id),
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        expectSane(res, `${method} ${url} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('split, schema and tables with random bodies, around a real extraction and split', async () => {
    const extraction = (
      await t.app.inject({
        method: 'POST',
        url: '/extract',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        payload: JSON.stringify({ file_url: 'https://e.com/statement.pdf' }),
      })
    ).json<{ extraction_id: string }>();
    const split = (
      await t.app.inject({
        method: 'POST',
        url: '/split',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        payload: JSON.stringify({
          extraction_id: extraction.extraction_id,
          split_config: { split_input: [{ name: 'Transactions' }] },
        }),
      })
    ).json<{ split_id: string }>();
    const ids = fc.constantFrom(extraction.extraction_id, split.split_id, 'nope', '', '../x');
    const body = fc.oneof(
      jsonValue,
      fc.record({
        extraction_id: ids,
        split_config: fc.option(
          fc.record({
            split_input: fc.array(
              fc.record({ name: fc.string(), description: fc.option(fc.string(), { nil: undefined }) }),
              { maxLength: 4 },
            ),
          }),
          { nil: undefined },
        ),
        async: fc.option(fc.boolean(), { nil: undefined }),
      }),
      fc.record({
        extraction_id: ids,
        schema_config: fc.record({
          input_schema: jsonValue,
          excel_template: fc.option(fc.base64String({ maxLength: 64 }), { nil: undefined }),
        }),
      }),
      fc.record({
        split_id: ids,
        split_schema_config: fc.dictionary(fc.constantFrom('Transactions', 'x'), fc.record({ schema: jsonValue })),
      }),
      fc.record({
        extraction_ids: fc.array(ids, { maxLength: 3 }),
        schema_config: fc.record({ input_schema: jsonValue }),
      }),
      fc.record({
        extraction_id: ids,
        tables_config: fc.record({
          merge: fc.boolean(),
          table_format: fc.constantFrom('html', 'json', 'xml'),
          charts_to_tables: fc.boolean(),
        }),
      }),
    );
    const routes = fc.constantFrom('/split', '/schema', '/tables');
    await fc.assert(
      fc.asyncProperty(routes, body, async (url, b) => {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          payload: JSON.stringify(b),
        });
        expectSane(res, `POST ${url} ${JSON.stringify(b).slice(0, 200)}`);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
    for (const url of [
      '/schema/nope/excel',
      `/schema/${split.split_id}/excel`,
      '/results/nope/images/x.png',
      `/results/${split.split_id}/images/..`,
    ]) {
      expectSane(await t.app.inject({ method: 'GET', url, headers: { 'x-api-key': KEY } }), url);
    }
  });

  it('is still healthy afterwards', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(fuzzed).toBeGreaterThan(RUNS * 5);
    report('fuzz', { requestsFuzzed: fuzzed, fiveXX: 0, runsPerProperty: RUNS, seed: SEED });
  });
});
