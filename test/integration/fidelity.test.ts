import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import { mswPulseFor, PULSE, serverFor } from '../adapters.js';

/**
 * Issue 29: what Pulse answers to the code people write with fetch, requests and httpx, not only
 * what the SDK types allow; each case through the server and through msw.
 */
const KEY = 'sk_fidelity';
const RULES = [{ match: '*corrupt*', outcome: 'failed' as const, error: 'The PDF is corrupt.' }];

function suite(name: string, base: () => string, clock: ManualClock) {
  const post = async (body: Record<string, unknown> | FormData, headers: Record<string, string> = {}) => {
    const multipart = body instanceof FormData;
    const res = await fetch(`${base()}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, ...(multipart ? {} : { 'content-type': 'application/json' }), ...headers },
      body: multipart ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const onePagePdf = () => {
    const form = new FormData();
    form.set(
      'file',
      new Blob(['%PDF-1.4\n<< /Type /Pages /Count 1 >>\n<< /Type /Page >>\n%%EOF'], { type: 'application/pdf' }),
      'one.pdf',
    );
    return form;
  };

  describe(`${name}: page selections past a known end are refused (400 REQ_006), as Pulse refuses them`, () => {
    it('an uploaded one-page PDF with pages=1-2', async () => {
      const form = onePagePdf();
      form.set('pages', '1-2');
      const r = await post(form);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('REQ_006');
      expect(r.body.error.message).toBe(
        'Invalid page range: page 2 is past the end of the document, which has 1 page. Use 1-indexed pages such as "1-2,5".',
      );
    });

    it('a -3p file name, x-pulse-mock-pages and a document rule; sync and async alike', async () => {
      expect((await post({ file_url: 'https://e.com/report-3p.pdf', pages: '2-4' })).body.error.code).toBe('REQ_006');
      expect((await post({ file_url: 'https://e.com/report-3p.pdf', pages: '2-4', async: true })).status).toBe(400);
      const ok = await post({ file_url: 'https://e.com/report-3p.pdf', pages: '2-3' });
      expect([ok.status, ok.body.page_count]).toEqual([200, 2]);
      const header = await post({ file_url: 'https://e.com/a.pdf', pages: '1-2' }, { 'x-pulse-mock-pages': '1' });
      expect(header.body.error.code).toBe('REQ_006');
      // fixtures/documents.json says dummy_statement.pdf has 2 pages.
      expect((await post({ file_url: 'https://e.com/dummy_statement.pdf', pages: '3' })).status).toBe(400);
    });

    it('a seeded page count is not known: the selection sets page_count', async () => {
      const r = await post({ file_url: 'https://e.com/report.pdf', pages: '1-40' });
      expect([r.status, r.body.page_count]).toEqual([200, 40]);
    });
  });

  describe(`${name}: a request in Pulse's older API gets the older spelling too`, () => {
    it('plan-info beside plan_info when only legacy options are used, never otherwise', async () => {
      for (const legacy of [{ return_html: true }, { chunking: 'page' }, { schema_prompt: 'the totals' }]) {
        const r = await post({ file_url: 'https://e.com/invoice.pdf', ...legacy });
        expect([JSON.stringify(legacy), r.body['plan-info']]).toEqual([JSON.stringify(legacy), r.body.plan_info]);
        expect(r.body.plan_info.pages_used).toBeGreaterThan(0);
      }
      const mixed = await post({ file_url: 'https://e.com/invoice.pdf', return_html: true, extensions: {} });
      expect(mixed.body['plan-info']).toBeUndefined();
      expect((await post({ file_url: 'https://e.com/invoice.pdf' })).body['plan-info']).toBeUndefined();
    });
  });

  describe(`${name}: a large result's url is a signed link that needs no key, works once and expires`, () => {
    const get = async (url: string, key?: string) => {
      const res = await fetch(url, key ? { headers: { 'x-api-key': key } } : {});
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };

    it('a plain GET of the url (no key) downloads it; the keyed route then finds it used: 410', async () => {
      const r = await post({ file_url: 'https://e.com/annual-report-90p.pdf' });
      expect(r.body.is_url).toBe(true);
      expect(r.body.url).toMatch(/\/large_results\/[0-9a-f-]{36}\?expires=\d+&token=[\w-]+$/);
      const first = await get(r.body.url as string);
      expect([first.status, first.body.page_count]).toEqual([200, 90]);
      expect((await get(r.body.url as string)).body.error.code).toBe('RESULT_GONE');
      const keyed = `${base()}${new URL(r.body.url as string).pathname}`;
      expect((await get(keyed, KEY)).status).toBe(410);
    });

    it('a HEAD of the link (a link checker, a proxy) is a 405 and does not spend it', async () => {
      const r = await post({ file_url: 'https://e.com/annual-report-90p.pdf' });
      const head = await fetch(r.body.url as string, { method: 'HEAD' });
      expect([head.status, head.headers.get('allow'), await head.text()]).toEqual([405, 'GET', '']);
      expect((await get(r.body.url as string)).status).toBe(200);
    });

    it('the keyed route (as the SDK calls it) and the link share the one use', async () => {
      const r = await post({ file_url: 'https://e.com/annual-report-90p.pdf' });
      const keyed = `${base()}${new URL(r.body.url as string).pathname}`;
      expect((await get(keyed)).status).toBe(401); // no key, no token
      expect((await get(keyed, KEY)).status).toBe(200);
      expect((await get(r.body.url as string)).status).toBe(410);
    });

    it('a malformed expiry or an overlong token is a 400 naming the query', async () => {
      const r = await post({ file_url: 'https://e.com/annual-report-90p.pdf' });
      const path = new URL(r.body.url as string).pathname;
      for (const q of ['?expires=soon&token=x', `?expires=1&token=${'t'.repeat(101)}`]) {
        const bad = await get(`${base()}${path}${q}`);
        expect([q, bad.status, bad.body.error.code]).toEqual([q, 400, 'INVALID_REQUEST_BODY']);
        expect(bad.body.error.message).toMatch(/^Invalid request query: /);
      }
    });

    it('an altered token is a 401; past an hour after the job completed the link is a 410', async () => {
      const r = await post({ file_url: 'https://e.com/annual-report-90p.pdf', async: true });
      await clock.advance(5000);
      const job = (await (await fetch(`${base()}/job/${r.body.job_id}`, { headers: { 'x-api-key': KEY } })).json()) as {
        result: { url: string };
      };
      const url = job.result.url;
      const altered = url.replace(/token=(.)/, (_, c: string) => `token=${c === 'A' ? 'B' : 'A'}`);
      expect((await get(altered)).body.error.code).toBe('INVALID_LINK');
      expect((await get(url.replace(/expires=\d+/, 'expires=9999999999'))).status).toBe(401);
      await clock.advance(3_600_000 + 1000);
      const late = await get(url);
      expect([late.status, late.body.error.message]).toEqual([
        410,
        'This large result link has expired (an hour after the job completed).',
      ]);
    });
  });

  describe(`${name}: a sync call planned to fail answers a 4xx in Pulse's shape, never a result`, () => {
    const call = async (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base()}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const failed = { 'x-pulse-mock-outcome': 'failed' };

    it("/extract: the header's or the rule's message, with the FILE_00x code that fits it", async () => {
      const header = await post(
        { file_url: 'https://e.com/invoice.pdf' },
        { ...failed, 'x-pulse-mock-error': 'The file is password-protected.' },
      );
      expect([header.status, header.body.error.code, header.body.error.message]).toEqual([
        400,
        'FILE_006',
        'The file is password-protected.',
      ]);
      const rule = await post({ file_url: 'https://e.com/corrupt-scan.pdf' });
      expect([rule.status, rule.body.error]).toEqual([
        400,
        {
          code: 'FILE_003',
          message: 'The PDF is corrupt.',
          details: { outcome: 'failed', reason: 'rule #1 (*corrupt*)' },
        },
      ]);
      const upload = onePagePdf();
      upload.set('file', new Blob(['%PDF-1.4\n%%EOF'], { type: 'application/pdf' }), 'corrupt.pdf');
      expect((await post(upload)).body.error?.code).toBe('FILE_003');
      // Async, the same request is a job that fails, as before.
      const job = await post({ file_url: 'https://e.com/corrupt-scan.pdf', async: true });
      expect([job.status, job.body.status]).toEqual([200, 'pending']);
    });

    it('/split, /schema, /tables, /form/* and /pipeline/execute, by header or by the source document name', async () => {
      // Stored despite the rule: a header outranks it.
      const corrupt = await post(
        { file_url: 'https://e.com/corrupt-scan.pdf' },
        { 'x-pulse-mock-outcome': 'completed' },
      );
      const fine = await post({ file_url: 'https://e.com/invoice.pdf' });
      const split = { split_config: { split_input: [{ name: 'all', description: 'everything' }] } };
      const schema = { schema_config: { input_schema: { type: 'object', properties: { total: { type: 'number' } } } } };
      const tables = { tables_config: {} };
      for (const [path, fields] of [
        ['/split', split],
        ['/schema', schema],
        ['/tables', tables],
      ] as const) {
        const ok = await call(path, { extraction_id: fine.body.extraction_id, ...fields });
        expect([path, ok.status]).toEqual([path, 200]);
        const byHeader = await call(path, { extraction_id: fine.body.extraction_id, ...fields }, failed);
        expect([path, byHeader.status, byHeader.body.error.code]).toEqual([
          path,
          400,
          expect.stringMatching(/^FILE_00[3-6]$/),
        ]);
        const byRule = await call(path, { extraction_id: corrupt.body.extraction_id, ...fields });
        expect([path, byRule.status, byRule.body.error.message]).toEqual([path, 400, 'The PDF is corrupt.']);
        const async = await call(path, { extraction_id: corrupt.body.extraction_id, ...fields, async: true });
        expect([path, async.status, async.body.status]).toEqual([path, 200, 'pending']);
      }
      const form = { file_url: 'https://e.com/w9.pdf', instructions: 'Name: Ada' };
      expect((await call('/form/fill', form)).status).toBe(200);
      expect((await call('/form/fill', form, failed)).body.error.code).toMatch(/^FILE_00[3-6]$/);
      expect((await call('/form/detect', { file_url: 'https://e.com/corrupt-form.pdf' })).status).toBe(400);
      const pipeline = {
        file_url: 'https://e.com/invoice.pdf',
        steps: { extract: {}, ...{ schema: schema.schema_config } },
      };
      expect((await call('/pipeline/execute', pipeline)).status).toBe(200);
      const planned = await call('/pipeline/execute', pipeline, failed);
      expect([planned.status, planned.body.error.code]).toEqual([400, expect.stringMatching(/^FILE_00[3-6]$/)]);
      const byUrl = await call('/pipeline/execute', { ...pipeline, file_url: 'https://e.com/corrupt.pdf' });
      expect([byUrl.status, byUrl.body.error.message]).toEqual([400, 'The PDF is corrupt.']);
      // An async pipeline planned to fail is a job that fails; its steps run as usual.
      const job = await call('/pipeline/execute', { ...pipeline, async: true }, failed);
      expect(job.status).toBe(200);
      await clock.advance(1000);
      const polled = await fetch(`${base()}/job/${job.body.job_id}`, { headers: { 'x-api-key': KEY } });
      expect(((await polled.json()) as Record<string, any>).status).toBe('failed');
    });
  });

  describe(`${name}: a sync extract names its stored extraction`, () => {
    it('extraction_url, as async results have it, answers the same extraction', async () => {
      const r = await post({ file_url: 'https://e.com/invoice.pdf' });
      expect(r.body.extraction_url).toMatch(new RegExp(`^${base().replace(/[.]/g, '\\.')}/job/[0-9a-f-]{36}$`));
      const job = (await (
        await fetch(r.body.extraction_url as string, { headers: { 'x-api-key': KEY } })
      ).json()) as Record<string, any>;
      expect([job.status, job.result.extraction_id]).toEqual(['completed', r.body.extraction_id]);
      const off = await post({ file_url: 'https://e.com/invoice.pdf', storage: { enabled: false } });
      expect(off.body.extraction_url).toBeUndefined();
    });
  });
}

describe('through the server', () => {
  const { server, clock } = serverFor({ apiKey: KEY, seed: 29, queueMs: 10, processingMs: 100, outcomes: RULES });
  suite('server', () => server().mock.url, clock);

  it("documents the large result link's query in /openapi.json", async () => {
    const doc = (await (await fetch(`${server().mock.url}/openapi.json`)).json()) as {
      paths: Record<string, { get: { parameters: { in: string; name: string }[] } }>;
    };
    const params = doc.paths['/large_results/{jobId}']!.get.parameters.map((p) => `${p.in} ${p.name}`);
    expect(params.sort()).toEqual(['path jobId', 'query expires', 'query token']);
  });
});

describe('through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 29, queueMs: 10, processingMs: 100, outcomes: RULES });
  suite('msw', () => PULSE, clock);
});
