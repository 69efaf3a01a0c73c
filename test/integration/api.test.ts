import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { REQUEST_SCHEMAS } from '../../src/api/validator.js';
import { apiRouteSpecs } from '../../src/api/routes.js';
import { expectPulseError, json, KEY, multipart, testApp, type TestApp } from '../helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp({ processingMs: 1000, queueMs: 100 });
});
afterEach(async () => {
  await t.app.close();
});

const submit = (body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(t.app, 'POST', '/extract', { file_url: 'https://example.com/invoice.pdf', async: true, ...body }, headers);
const poll = (id: string) => json(t.app, 'GET', `/job/${id}`);

/** Submits an async extract of `url`; its job id. */
const submitAsync = async (r: TestApp, url: string) =>
  (await json(r.app, 'POST', '/extract', { file_url: url, async: true })).json().job_id as string;

/** The statuses of `ids` once every job has had time to end. */
async function endedStatuses(r: TestApp, ids: string[]): Promise<string[]> {
  await r.clock.advance(5000);
  return Promise.all(ids.map(async (id) => (await json(r.app, 'GET', `/job/${id}`)).json().status as string));
}

describe('auth', () => {
  it('answers AUTH_001 without a key and AUTH_002 with a wrong one, on every Pulse route', async () => {
    for (const [method, url] of [
      ['POST', '/extract'],
      ['POST', '/extract_async'],
      ['GET', '/job/x'],
      ['DELETE', '/job/x'],
      ['POST', '/cancel/x'],
      ['POST', '/webhook'],
      ['GET', '/large_results/x'],
    ] as const) {
      expectPulseError(await t.app.inject({ method, url }), 401, 'AUTH_001');
      expectPulseError(await t.app.inject({ method, url, headers: { 'x-api-key': 'nope' } }), 401, 'AUTH_002');
    }
  });

  it('accepts any non-empty key when none is configured, but never an empty one', async () => {
    const open = await testApp({ apiKey: undefined });
    const ok = await open.app.inject({ method: 'POST', url: '/webhook', headers: { 'x-api-key': 'whatever' } });
    expect(ok.statusCode).toBe(200);
    expectPulseError(
      await open.app.inject({ method: 'POST', url: '/webhook', headers: { 'x-api-key': '  ' } }),
      401,
      'AUTH_001',
    );
    await open.app.close();
  });

  it('leaves /health and /openapi.json open', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', seed: 7 });
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });
});

describe('POST /extract (sync)', () => {
  it('returns an ExtractResponse with markdown, its content alias, pages and plan info', async () => {
    const res = await json(t.app, 'POST', '/extract', { file_url: 'https://example.com/dummy_statement.pdf' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.markdown).toMatch(/Account Statement/);
    expect(body.content).toBe(body.markdown);
    expect(body.page_count).toBe(2);
    expect(body.extraction_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.plan_info).toMatchObject({ pages_used: 2 });
    expect(body.bounding_boxes.Title.length).toBeGreaterThan(0);
    expect(body.bounding_boxes.Text[0]).toMatchObject({
      page_number: expect.any(Number),
      bounding_box: expect.any(Array),
    });
    expect(body.job_id).toBeUndefined();
  });

  it('counts the pages of a "pages" selection', async () => {
    const body = (
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/paper.pdf', pages: '1-2,5' })
    ).json();
    expect(body.page_count).toBe(3);
    expect(body.bounding_boxes.Footer.map((b: { page_number: number }) => b.page_number)).toEqual([1, 2, 5]);
  });

  it('chunks by the requested strategies within chunk_size, and returns HTML when asked', async () => {
    const body = (
      await json(t.app, 'POST', '/extract', {
        file_url: 'https://e.com/report.pdf',
        extensions: {
          chunking: { chunk_types: ['page', 'recursive', 'header', 'semantic'], chunk_size: 300 },
          alt_outputs: { return_html: true },
        },
      })
    ).json();
    const c = body.extensions.chunking;
    expect(c.page).toHaveLength(body.page_count);
    for (const chunk of c.recursive) expect(chunk.length).toBeLessThanOrEqual(300);
    expect(c.header.every((h: string) => h.startsWith('#'))).toBe(true);
    expect(c.semantic.join('\n\n')).toBe(body.markdown);
    expect(body.extensions.altOutputs.html).toMatch(/<h1>/);
  });

  it('supports the legacy chunking / return_html inputs with their legacy outputs and a deprecation warning', async () => {
    const body = (
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/r.pdf', chunking: 'page', return_html: true })
    ).json();
    expect(body.chunks.page.length).toBe(body.page_count);
    expect(body.html).toMatch(/<h/);
    expect(body.warnings.join(' ')).toMatch(/deprecated/);
  });

  it('returns structured_output whose values follow the requested schema, with citations', async () => {
    const schema = {
      type: 'object',
      required: ['account_holder', 'balance', 'status'],
      properties: {
        account_holder: { type: 'string' },
        balance: { type: 'number' },
        status: { enum: ['open', 'closed'] },
      },
    };
    const body = (
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/s.pdf', structured_output: { schema } })
    ).json();
    const v = body.structured_output.values;
    expect(typeof v.account_holder).toBe('string');
    expect(typeof v.balance).toBe('number');
    expect(['open', 'closed']).toContain(v.status);
    expect(Object.keys(body.structured_output.citations).sort()).toEqual(['account_holder', 'balance', 'status']);
    expect(body.input_schema).toEqual(schema);
  });

  it('gives schema_error (not a 4xx) for an unusable schema', async () => {
    for (const structured_output of [{ schema: { type: 'bogus' } }, '{not json', { schema: 'nope' }]) {
      const res = await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/s.pdf', structured_output });
      expect(res.statusCode).toBe(200);
      expect(res.json().schema_error).toEqual(expect.any(String));
      expect(res.json().structured_output).toBeUndefined();
    }
  });

  it('answers a large document (>= 70 pages) with a one-time URL, then 410', async () => {
    const body = (await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/big-report-120p.pdf' })).json();
    expect(body).toMatchObject({ is_url: true, page_count: 120 });
    expect(body.markdown).toBeUndefined();
    const path = new URL(body.url).pathname;
    const first = await json(t.app, 'GET', path);
    expect(first.statusCode).toBe(200);
    expect(first.json().page_count).toBe(120);
    expect(first.json().markdown.length).toBeGreaterThan(1000);
    expectPulseError(await json(t.app, 'GET', path), 410, 'RESULT_GONE');
    expectPulseError(await json(t.app, 'GET', '/large_results/unknown'), 404, 'RESULT_NOT_FOUND');
  });
});

describe('request errors', () => {
  it('REQ_001 when neither file nor URL is sent', async () => {
    expectPulseError(await json(t.app, 'POST', '/extract', {}), 400, 'REQ_001');
    expectPulseError(
      await t.app.inject({ method: 'POST', url: '/extract', headers: { 'x-api-key': KEY } }),
      400,
      'REQ_001',
    );
  });
  it('REQ_006 for bad page ranges', async () => {
    for (const pages of ['0-2', '3-1', 'abc', '1,,2', '1-99999'])
      expectPulseError(
        await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', pages }),
        400,
        'REQ_006',
      );
  });
  it('REQ_005 for a chunk size out of range', async () => {
    expectPulseError(
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', chunking: 'page', chunk_size: 50 }),
      400,
      'REQ_005',
    );
    expectPulseError(
      await json(t.app, 'POST', '/extract', {
        file_url: 'https://e.com/a.pdf',
        extensions: { chunking: { chunk_size: 20000 } },
      }),
      400,
      'REQ_005',
    );
  });
  it('FILE_001 for an unsupported file type, by URL or upload', async () => {
    expectPulseError(await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/movie.mp4' }), 400, 'FILE_001');
    const form = new FormData();
    form.append('file', new Blob(['x']), 'notes.txt');
    const mp = await multipart(form);
    expectPulseError(
      await t.app.inject({
        method: 'POST',
        url: '/extract',
        headers: { 'x-api-key': KEY, ...mp.headers },
        payload: mp.payload,
      }),
      400,
      'FILE_001',
    );
  });
  it('413 past the body limits: BODY_TOO_LARGE for JSON (--json-body-limit), FILE_002 for uploads (--body-limit)', async () => {
    const small = await testApp({ bodyLimit: 1024, jsonBodyLimit: 2048 });
    expectPulseError(
      await json(small.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', pad: 'x'.repeat(5000) }),
      413,
      'BODY_TOO_LARGE',
    );
    expect(
      (await json(small.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', pad: 'x'.repeat(1500) }))
        .statusCode,
    ).toBe(200);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(4096)]), 'big.pdf');
    const mp = await multipart(form);
    expectPulseError(
      await small.app.inject({
        method: 'POST',
        url: '/extract',
        headers: { 'x-api-key': KEY, ...mp.headers },
        payload: mp.payload,
      }),
      413,
      'FILE_002',
    );
    await small.app.close();
  });
  it('400 (never 500) for malformed JSON, malformed multipart, wrong types and bad URLs', async () => {
    const raw = (payload: string, contentType: string) =>
      t.app.inject({
        method: 'POST',
        url: '/extract',
        headers: { 'x-api-key': KEY, 'content-type': contentType },
        payload,
      });
    expectPulseError(await raw('{"file_url": ', 'application/json'), 400, 'INVALID_REQUEST_BODY');
    expectPulseError(await raw('[1,2]', 'application/json'), 400, 'INVALID_REQUEST_BODY');
    expectPulseError(
      await raw('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb', 'multipart/form-data; boundary=xyz'),
      400,
      'INVALID_REQUEST_BODY',
    );
    expectPulseError(await raw('garbage', 'multipart/form-data'), 400, 'INVALID_REQUEST_BODY');
    expectPulseError(
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', async: 'maybe' }),
      400,
      'INVALID_PARAMETER',
    );
    expectPulseError(await json(t.app, 'POST', '/extract', { file_url: 'not a url' }), 400, 'INVALID_PARAMETER');
    expectPulseError(
      await json(t.app, 'POST', '/extract', { file_url: 'ftp://e.com/a.pdf' }),
      400,
      'INVALID_PARAMETER',
    );
    expectPulseError(
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', extensions: '{oops' }),
      400,
      'INVALID_PARAMETER',
    );
    expectPulseError(
      await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', pages: { a: 1 } }),
      400,
      'INVALID_REQUEST_BODY',
    );
  });
  it('415 for a content type the API does not take', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/extract',
      headers: { 'x-api-key': KEY, 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expectPulseError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it('404 in Pulse shape for unknown routes and jobs', async () => {
    expectPulseError(await t.app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND');
    expectPulseError(await poll('does-not-exist'), 404, 'JOB_NOT_FOUND');
    expectPulseError(await json(t.app, 'DELETE', '/job/does-not-exist'), 404, 'JOB_NOT_FOUND');
  });
  it('rejects bad x-pulse-mock-* control headers with a clear 400', async () => {
    expectPulseError(await submit({}, { 'x-pulse-mock-outcome': 'exploded' }), 400, 'INVALID_PARAMETER');
    expectPulseError(await submit({}, { 'x-pulse-mock-processing-ms': '-5' }), 400, 'INVALID_PARAMETER');
  });
});

describe('async jobs', () => {
  it('moves pending -> processing -> completed on the clock, with the result only when completed', async () => {
    const sub = await submit();
    expect(sub.statusCode).toBe(200);
    const s = sub.json();
    expect(s).toMatchObject({ status: 'pending', message: 'Job queued for processing', job_id: expect.any(String) });
    expect(new Date(s.queuedAt).getTime()).toBe(t.clock.now());
    expect((await poll(s.job_id)).json()).toMatchObject({ status: 'pending' });
    await t.clock.advance(100);
    const processing = (await poll(s.job_id)).json();
    expect(processing.status).toBe('processing');
    expect(processing.result).toBeUndefined();
    await t.clock.advance(999);
    expect((await poll(s.job_id)).json().status).toBe('processing');
    await t.clock.advance(1);
    const done = (await poll(s.job_id)).json();
    expect(done).toMatchObject({ job_id: s.job_id, status: 'completed' });
    expect(done.result.markdown).toMatch(/INVOICE/);
    expect(done.result.job_id).toBe(s.job_id);
    expect(done.error).toBeUndefined();
    expect(Date.parse(done.updated_at) - Date.parse(done.created_at)).toBe(1100);
  });

  it('accepts POST /extract_async, and 202 when configured', async () => {
    const res = await json(t.app, 'POST', '/extract_async', { file_url: 'https://e.com/a.pdf' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('pending');
    const t202 = await testApp({ asyncStatusCode: 202 });
    expect(
      (await json(t202.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', async: 'true' })).statusCode,
    ).toBe(202);
    await t202.app.close();
  });

  it('fails a job on request (header), with error and no result', async () => {
    const id = (
      await submit(
        {},
        { 'x-pulse-mock-outcome': 'failed', 'x-pulse-mock-error': 'boom', 'x-pulse-mock-processing-ms': '10' },
      )
    ).json().job_id;
    await t.clock.advance(110);
    expect((await poll(id)).json()).toMatchObject({ status: 'failed', error: 'boom' });
    expect((await poll(id)).json().result).toBeUndefined();
  });

  it('follows outcome rules from the config, and a seeded failure rate', async () => {
    const ruled = await testApp({
      outcomes: [{ match: '*corrupt*', outcome: 'failed', error: 'PDF is corrupt', processingMs: 5 }],
    });
    const bad = (
      await json(ruled.app, 'POST', '/extract', { file_url: 'https://e.com/corrupt.pdf', async: true })
    ).json().job_id;
    const good = (await json(ruled.app, 'POST', '/extract', { file_url: 'https://e.com/fine.pdf', async: true })).json()
      .job_id;
    await ruled.clock.advance(2000);
    expect((await json(ruled.app, 'GET', `/job/${bad}`)).json()).toMatchObject({
      status: 'failed',
      error: 'PDF is corrupt',
    });
    expect((await json(ruled.app, 'GET', `/job/${good}`)).json().status).toBe('completed');
    await ruled.app.close();

    const outcomes = async (seed: number) => {
      const r = await testApp({ seed, failureRate: 0.5 });
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push(await submitAsync(r, `https://e.com/${i}.pdf`));
      const statuses = await endedStatuses(r, ids);
      await r.app.close();
      return statuses;
    };
    const a = await outcomes(11);
    expect(a.filter((s) => s === 'failed').length).toBeGreaterThan(5);
    expect(a.filter((s) => s === 'completed').length).toBeGreaterThan(5);
    expect(await outcomes(11)).toEqual(a);
  });

  it('--failure-rate fails sync calls too (400, replayed by the seed), drawn apart from async jobs', async () => {
    const run = async (withSync: boolean) => {
      const r = await testApp({ seed: 12, failureRate: 0.5 });
      const sync: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        if (withSync)
          sync.push((await json(r.app, 'POST', '/extract', { file_url: `https://e.com/s${i}.pdf` })).statusCode);
        ids.push(await submitAsync(r, `https://e.com/${i}.pdf`));
      }
      const statuses = await endedStatuses(r, ids);
      await r.app.close();
      return { sync, statuses };
    };
    const a = await run(true);
    expect(a.sync.filter((s) => s === 400).length).toBeGreaterThan(5);
    expect(a.sync.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(a.sync.every((s) => s === 200 || s === 400)).toBe(true);
    expect((await run(true)).sync).toEqual(a.sync);
    // Sync calls between the async submissions do not change which async jobs fail.
    expect((await run(false)).statuses).toEqual(a.statuses);
  });

  it('cancels pending and processing jobs (DELETE and deprecated POST /cancel) and leaves terminal ones', async () => {
    const a = (await submit()).json().job_id;
    const cancelled = await json(t.app, 'DELETE', `/job/${a}`);
    expect(cancelled.json()).toEqual({ job_id: a, message: 'Job cancelled successfully' });
    const b = (await submit()).json().job_id;
    await t.clock.advance(150);
    expect((await poll(b)).json().status).toBe('processing');
    expect((await json(t.app, 'POST', `/cancel/${b}`)).json().message).toBe('Job cancelled successfully');
    await t.clock.advance(5000);
    expect((await poll(a)).json().status).toBe('canceled');
    expect((await poll(b)).json().status).toBe('canceled');

    const c = (await submit()).json().job_id;
    await t.clock.advance(2000);
    const again = await json(t.app, 'DELETE', `/job/${c}`);
    expect(again.statusCode).toBe(200);
    expect(again.json().message).toMatch(/already completed/);
    expect((await poll(c)).json().status).toBe('completed');
  });

  it('serves a large async result as a pointer, downloadable once', async () => {
    const id = (await submit({ file_url: 'https://e.com/legal-filing.pdf' }, { 'x-pulse-mock-pages': '90' })).json()
      .job_id;
    await t.clock.advance(2000);
    const res = (await poll(id)).json();
    expect(res.result).toMatchObject({ is_url: true, page_count: 90 });
    const path = new URL(res.result.url).pathname;
    expect(path).toBe(`/large_results/${id}`);
    expect((await json(t.app, 'GET', path)).json().page_count).toBe(90);
    expectPulseError(await json(t.app, 'GET', path), 410, 'RESULT_GONE');
  });

  it('emits job events in lifecycle order, matching what GET /job says at that moment', async () => {
    const seen: { type: string; status: string; polled: string }[] = [];
    t.core.onEvent((e) => {
      const job = t.core.jobs.get(e.jobId);
      seen.push({ type: e.type, status: e.payload.data.status, polled: job?.status ?? 'missing' });
      expect(JSON.parse(JSON.stringify(e))).toEqual({ type: e.type, jobId: e.jobId, at: e.at, payload: e.payload }); // serialises whole
    });
    await submit({}, { 'x-pulse-mock-outcome': 'failed' });
    await t.clock.advance(2000);
    expect(seen).toEqual([
      { type: 'job.created', status: 'pending', polled: 'pending' },
      { type: 'job.processing', status: 'processing', polled: 'processing' },
      { type: 'job.failed', status: 'failed', polled: 'failed' },
    ]);
    // A synchronous extract emits no job events.
    await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf' });
    expect(seen).toHaveLength(3);
  });

  it('evicts the oldest finished job past --max-jobs, never a running one', async () => {
    const small = await testApp({ maxJobs: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await json(small.app, 'POST', '/extract', { file_url: 'https://e.com/a.pdf', async: true })).json().job_id,
      );
    await small.clock.advance(2000);
    const running = (await json(small.app, 'POST', '/extract', { file_url: 'https://e.com/b.pdf', async: true })).json()
      .job_id;
    const gone = await json(small.app, 'GET', `/job/${ids[0]}`);
    expectPulseError(gone, 404, 'JOB_NOT_FOUND');
    expect(gone.json().error.message).toMatch(/keeps the last 3 jobs and has evicted 1 older ones; raise --max-jobs/);
    expect((await json(small.app, 'GET', `/job/${running}`)).json().status).toBe('pending');
    await small.app.close();
  });
});

describe('reproducibility', () => {
  it('gives the same bodies for the same seed and requests, and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const r = await testApp({ seed });
      const sync = (
        await json(r.app, 'POST', '/extract', {
          file_url: 'https://e.com/invoice.pdf',
          structured_output: { schema: { type: 'object', properties: { total: { type: 'number' } } } },
        })
      ).json();
      const id = (await json(r.app, 'POST', '/extract', { file_url: 'https://e.com/paper.pdf', async: true })).json()
        .job_id;
      await r.clock.advance(5000);
      const job = (await json(r.app, 'GET', `/job/${id}`)).json();
      await r.app.close();
      return { sync, id, result: job.result };
    };
    const a = await run(1);
    const b = await run(1);
    expect(b).toEqual(a);
    const c = await run(2);
    expect(c.sync.markdown).not.toEqual(a.sync.markdown);
    expect(c.id).not.toEqual(a.id);
  });
});

describe('POST /webhook and the portal', () => {
  it('returns a portal link whose token opens the page; a wrong token does not', async () => {
    const link = (await json(t.app, 'POST', '/webhook')).json().link as string;
    const u = new URL(link);
    expect(u.pathname).toBe('/portal');
    const ok = await t.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/text\/html/);
    expect((await t.app.inject({ method: 'GET', url: '/portal?token=wrong' })).statusCode).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('documents every Pulse route with the x-api-key scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/cancel/{jobId}',
      '/extract',
      '/extract_async',
      '/health',
      '/job/{jobId}',
      '/large_results/{jobId}',
      '/results/{jobId}/images/{filename}',
      '/split',
      '/schema',
      '/schema/{schemaId}/excel',
      '/tables',
      '/batch/extract',
      '/batch/split',
      '/batch/schema',
      '/batch/tables',
      '/pipeline/execute',
      '/form/detect',
      '/form/fill',
      '/form/clear',
      '/results/{jobId}/pdf',
      '/webhook',
    ])
      expect(paths).toContain(p);
    // Besides Pulse's routes, only the mock's own admin API, documented as needing no key.
    for (const p of paths.filter((p) => p.startsWith('/_mock/')))
      for (const op of Object.values<{ security?: unknown }>(doc.paths[p])) expect(op.security).toEqual([]);
    expect(paths.filter((p) => !p.startsWith('/_mock/'))).toHaveLength(21);
    expect(paths).toContain('/_mock/endpoints');
    expect(paths).toContain('/_mock/messages');
    expect(doc.paths['/job/{jobId}'].delete).toBeDefined();
    expect(Object.keys(doc.paths['/extract'].post.requestBody.content)).toContain('multipart/form-data');
    expect(doc.components.securitySchemes.ApiKeyAuth).toMatchObject({ in: 'header', name: 'x-api-key' });
  });
});

describe('request schemas', () => {
  it('are valid JSON Schemas, every one (the meta-schema check is off at run time)', () => {
    // t (beforeEach) built the app, so every admin route's schema has had its validator made.
    const schemas = [...REQUEST_SCHEMAS];
    for (const spec of apiRouteSpecs()) {
      if (spec.schema.params) schemas.push(spec.schema.params);
      for (const { schema } of Object.values(spec.schema.body?.content ?? {})) schemas.push(schema);
    }
    expect(schemas.length).toBeGreaterThan(30);
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema({ type: 'strin' })).toBe(false); // the check does catch a bad one
    for (const schema of schemas)
      expect(
        ajv.validateSchema(schema),
        `${JSON.stringify(ajv.errors)} in ${JSON.stringify(schema).slice(0, 200)}`,
      ).toBe(true);
  });
});
