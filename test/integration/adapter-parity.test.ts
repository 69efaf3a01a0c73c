import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPulseMock, type FaultRule } from '../../src/index.js';
import { createPulseMsw } from '../../src/msw/index.js';

/**
 * The server and the msw handlers serve Pulse's API through one pipeline: sent the same good
 * and bad requests, each gives the answer a Pulse client expects (status, error code,
 * Retry-After), and the two give the same bodies.
 */
type Body = string | FormData | URLSearchParams | undefined;
interface Call {
  method?: string;
  path?: string;
  json?: unknown;
  body?: Body;
  headers?: Record<string, string>;
}
interface Expected {
  status: number;
  code?: string;
  retryAfter?: string;
  allow?: string;
  /** Part of the message, e.g. the field a 400 names. */
  message?: RegExp;
}
interface Case {
  name: string;
  options?: Record<string, unknown>;
  faults?: FaultRule[];
  calls: Call[];
  expect: Expected[];
}

const KEY = 'sk_parity';
const URL_ = 'https://e.com/dummy_statement.pdf';
const pdf = (name = 'a.pdf', bytes = '%PDF-1.4 parity') => new File([bytes], name, { type: 'application/pdf' });
const form = (entries: [string, string | File][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

const cases: Case[] = [
  {
    name: 'a well-formed session: sync with schema and chunks, a large document, an async job polled and cancelled',
    calls: [
      {
        json: {
          file_url: URL_,
          structured_output: { schema: { type: 'object', properties: { holder: { type: 'string' } } } },
          extensions: { chunking: { chunk_types: ['page'] } },
        },
      },
      { json: { file_url: 'https://e.com/big-report-80p.pdf' } },
      { json: { file_url: 'https://e.com/contract.pdf', async: true } },
      { method: 'GET', path: '/job/{last}' },
      { method: 'DELETE', path: '/job/{last}' },
      { method: 'GET', path: '/job/{last}' },
    ],
    expect: [{ status: 200 }, { status: 200 }, { status: 200 }, { status: 200 }, { status: 200 }, { status: 200 }],
  },
  {
    name: 'malformed JSON',
    calls: [{ body: '{"file_url": ', headers: { 'content-type': 'application/json' } }],
    expect: [{ status: 400, code: 'INVALID_REQUEST_BODY', message: /Malformed JSON/ }],
  },
  {
    name: 'an empty JSON body',
    calls: [{ body: '', headers: { 'content-type': 'application/json' } }],
    expect: [{ status: 400, code: 'INVALID_REQUEST_BODY', message: /empty/ }],
  },
  {
    name: 'a JSON array',
    calls: [{ json: [{ file_url: URL_ }] }],
    expect: [{ status: 400, code: 'INVALID_REQUEST_BODY', message: /body must be object/ }],
  },
  {
    name: 'wrong types',
    calls: [{ json: { file_url: { href: URL_ } } }],
    expect: [{ status: 400, code: 'INVALID_REQUEST_BODY', message: /body\/file_url must be string/ }],
  },
  {
    name: 'text/plain',
    calls: [{ body: URL_, headers: { 'content-type': 'text/plain' } }],
    expect: [{ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /text\/plain/ }],
  },
  { name: 'form-urlencoded', calls: [{ body: new URLSearchParams({ file_url: URL_ }) }], expect: [{ status: 200 }] },
  {
    name: 'a repeated form field',
    calls: [
      {
        body: new URLSearchParams([
          ['file_url', URL_],
          ['file_url', URL_],
        ]),
      },
    ],
    expect: [{ status: 400, code: 'INVALID_PARAMETER', message: /"file_url" is sent more than once/ }],
  },
  {
    name: 'multipart with a file',
    calls: [
      {
        body: form([
          ['file', pdf()],
          ['async', 'true'],
        ]),
      },
    ],
    expect: [{ status: 200 }],
  },
  {
    name: 'multipart with no file',
    calls: [{ body: form([['model', 'default']]) }],
    expect: [{ status: 400, code: 'REQ_001' }],
  },
  {
    name: 'multipart with two files',
    calls: [
      {
        body: form([
          ['file', pdf('a.pdf')],
          ['file', pdf('b.pdf')],
        ]),
      },
    ],
    expect: [{ status: 400, code: 'INVALID_PARAMETER', message: /"file" is sent more than once/ }],
  },
  {
    name: 'a repeated multipart field',
    calls: [
      {
        body: form([
          ['file', pdf()],
          ['pages', '1'],
          ['pages', '2'],
        ]),
      },
    ],
    expect: [{ status: 400, code: 'INVALID_PARAMETER', message: /"pages" is sent more than once/ }],
  },
  {
    name: 'an .exe upload',
    calls: [{ body: form([['file', new File(['MZ'], 'setup.exe', { type: 'application/x-msdownload' })]]) }],
    expect: [{ status: 400, code: 'FILE_001' }],
  },
  {
    name: 'bodies over the limit, JSON and upload',
    options: { bodyLimit: 2048, jsonBodyLimit: 1024 },
    calls: [
      { json: { file_url: URL_, pad: 'x'.repeat(1100) } },
      { body: form([['file', pdf('big.pdf', 'x'.repeat(4096))]]) },
    ],
    expect: [
      { status: 413, code: 'BODY_TOO_LARGE', message: /--json-body-limit/ },
      { status: 413, code: 'FILE_002' },
    ],
  },
  {
    name: 'a bad page range',
    calls: [{ json: { file_url: URL_, pages: '5-1' } }],
    expect: [{ status: 400, code: 'REQ_006' }],
  },
  {
    name: 'a bad chunk size',
    calls: [{ json: { file_url: URL_, extensions: { chunking: { chunk_types: ['page'], chunk_size: 5 } } } }],
    expect: [{ status: 400, code: 'REQ_005' }],
  },
  {
    name: 'bad x-pulse-mock-* headers',
    calls: [
      { json: { file_url: URL_, async: true }, headers: { 'x-pulse-mock-outcome': 'exploded' } },
      { json: { file_url: URL_, async: true }, headers: { 'x-pulse-mock-processing-ms': 'soon' } },
    ],
    expect: [
      { status: 400, code: 'INVALID_PARAMETER', message: /x-pulse-mock-outcome/ },
      { status: 400, code: 'INVALID_PARAMETER', message: /x-pulse-mock-processing-ms/ },
    ],
  },
  {
    name: 'missing and wrong keys',
    calls: [
      { json: { file_url: URL_ }, headers: { 'x-api-key': '' } },
      { method: 'GET', path: '/job/x', headers: { 'x-api-key': 'sk_wrong' } },
    ],
    expect: [
      { status: 401, code: 'AUTH_001' },
      { status: 401, code: 'AUTH_002' },
    ],
  },
  {
    name: 'unknown jobs on every job route',
    calls: [
      { method: 'GET', path: '/job/nope' },
      { method: 'DELETE', path: '/job/nope' },
      { method: 'POST', path: '/cancel/nope' },
      { method: 'GET', path: '/large_results/nope' },
    ],
    expect: [
      { status: 404, code: 'JOB_NOT_FOUND' },
      { status: 404, code: 'JOB_NOT_FOUND' },
      { status: 404, code: 'JOB_NOT_FOUND' },
      { status: 404, code: 'RESULT_NOT_FOUND' },
    ],
  },
  {
    name: 'paths match exactly (a trailing slash, another case, a doubled slash are 404s naming the path meant)',
    calls: [
      { json: { file_url: URL_ }, path: '/extract/' },
      { method: 'GET', path: '/JOB/x' },
      { method: 'GET', path: '//job/x' },
      { method: 'GET', path: '/nowhere' },
    ],
    expect: [
      { status: 404, code: 'NOT_FOUND', message: /Did you mean POST \/extract\?$/ },
      { status: 404, code: 'NOT_FOUND', message: /Did you mean GET \/job\/x\?$/ },
      { status: 404, code: 'NOT_FOUND', message: /Did you mean GET \/job\/x\?$/ },
      { status: 404, code: 'NOT_FOUND', message: /^No route GET \/nowhere\.$/ },
    ],
  },
  {
    name: 'another method on a known path, HEAD included, is a 405 with Allow and runs nothing',
    calls: [
      { json: { file_url: URL_, async: true } },
      { method: 'HEAD', path: '/job/{last}' },
      { method: 'PUT', path: '/extract', json: { file_url: URL_ } },
      { method: 'GET', path: '/extract' },
      { method: 'DELETE', path: '/job/{last}' },
    ],
    expect: [
      { status: 200 },
      { status: 405, allow: 'GET, DELETE' },
      {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        allow: 'POST',
        message: /^PUT is not allowed on \/extract; use POST\.$/,
      },
      { status: 405, code: 'METHOD_NOT_ALLOWED', allow: 'POST' },
      { status: 200 },
    ],
  },
  {
    name: 'an nth API fault after a malformed call (each authenticated call counts, before its body is read)',
    faults: [
      { fault: { kind: 'api-error', status: 429, retryAfterS: 7 }, scope: { routes: ['extract'] }, when: { nth: [2] } },
    ],
    calls: [
      { body: '{', headers: { 'content-type': 'application/json' } },
      { json: { file_url: URL_ } },
      { json: { file_url: URL_ } },
      { json: { file_url: URL_ }, headers: { 'x-api-key': 'sk_wrong' } },
    ],
    expect: [
      { status: 400, code: 'INVALID_REQUEST_BODY' },
      { status: 429, code: 'RATE_LIMITED', retryAfter: '7' },
      { status: 200 },
      { status: 401, code: 'AUTH_002' },
    ],
  },
  {
    name: 'a probability fault with a fixed seed',
    options: { seed: 1234 },
    faults: [
      {
        fault: { kind: 'api-error', status: 503, retryAfterS: 1 },
        scope: { routes: ['poll'] },
        when: { probability: 0.5 },
      },
    ],
    calls: Array.from({ length: 12 }, () => ({ method: 'GET', path: '/job/nope' })),
    // Which calls fail is the seed's choice; the test below checks both adapters make the same one.
    expect: [],
  },
  {
    name: 'a latency fault',
    faults: [{ fault: { kind: 'api-latency', ms: 40 }, scope: { routes: ['webhook'] } }],
    calls: [{ method: 'POST', path: '/webhook' }],
    expect: [{ status: 200 }],
  },
];

interface Answer {
  status: number;
  retryAfter: string | null;
  allow: string | null;
  body: Record<string, unknown>;
}

async function run(base: string, c: Case): Promise<Answer[]> {
  const out: Answer[] = [];
  let last = '';
  for (const call of c.calls) {
    const body: Body = call.json !== undefined ? JSON.stringify(call.json) : call.body;
    const headers: Record<string, string> = {
      'x-api-key': KEY,
      ...(call.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...call.headers,
    };
    const res = await fetch(`${base}${(call.path ?? '/extract').replace('{last}', last)}`, {
      method: call.method ?? 'POST',
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    // Bodies differ only by where the mock is reached, when (timestamps, a large result link's
    // expiry), and the links' tokens; everything else must match.
    const text = (await res.text())
      .replaceAll(base, 'BASE')
      .replace(/"(created_at|updated_at|queuedAt)":"[^"]+"/g, '"$1":"T"')
      .replace(/expires=\d+/g, 'expires=T')
      .replace(/token=[^"]+/g, 'token=T');
    // A HEAD's answer has no body.
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (typeof json.job_id === 'string') last = json.job_id;
    out.push({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      allow: res.headers.get('allow'),
      body: json,
    });
  }
  return out;
}

const results = new Map<string, { server: Answer[]; msw: Answer[]; serverLog: unknown[]; mswLog: unknown[] }>();

beforeAll(async () => {
  for (const c of cases) {
    const options = {
      apiKey: KEY,
      seed: 99,
      processingMs: 60_000,
      ...c.options,
      ...(c.faults ? { faults: c.faults } : {}),
    };
    const log = (entries: { route: string; status: number; fault?: string | undefined; ms: number }[]) =>
      entries.map(({ route, status, fault, ms }) => ({ route, status, fault, ms }));
    // The real server first: msw, once listening, would intercept its sockets too.
    const server = await createPulseMock({ port: 0, ...options });
    const viaServer = await run(server.url, c);
    const serverLog = log(server.requests());
    await server.close();
    const msw = createPulseMsw({ ...options, baseUrl: 'https://parity.test' });
    const local = setupServer(...msw.handlers);
    local.listen({ onUnhandledRequest: 'error' });
    try {
      const viaMsw = await run('https://parity.test', c);
      results.set(c.name, { server: viaServer, msw: viaMsw, serverLog, mswLog: log(msw.requests()) });
    } finally {
      local.close();
      msw.close();
    }
  }
}, 60_000);
afterAll(() => results.clear());

describe('one pipeline, two adapters: what a Pulse client gets', () => {
  for (const c of cases.filter((x) => x.expect.length)) {
    it(c.name, () => {
      const r = results.get(c.name)!;
      for (const [adapter, answers] of [
        ['server', r.server],
        ['msw', r.msw],
      ] as const) {
        const got = answers.map((a) => ({
          status: a.status,
          code: (a.body.error as { code?: string } | undefined)?.code,
          retryAfter: a.retryAfter ?? undefined,
          allow: a.allow ?? undefined,
          message: (a.body.error as { message?: string } | undefined)?.message,
        }));
        const want = c.expect.map((e) => ({
          status: e.status,
          code: e.code,
          retryAfter: e.retryAfter,
          allow: e.allow,
          message: e.message ? expect.stringMatching(e.message) : e.code ? expect.any(String) : undefined,
        }));
        expect({ adapter, got }).toEqual({ adapter, got: want });
      }
      expect(r.msw.map((a) => a.body)).toEqual(r.server.map((a) => a.body));
    });
  }

  it('a probability fault with a fixed seed fails the same calls through both, some and not all', () => {
    const r = results.get('a probability fault with a fixed seed')!;
    const statuses = r.server.map((a) => a.status);
    expect(r.msw.map((a) => a.status)).toEqual(statuses);
    expect(statuses).toContain(503);
    expect(statuses).toContain(404);
    expect(r.server.filter((a) => a.status === 503).every((a) => a.retryAfter === '1')).toBe(true);
  });

  it('a latency fault holds the answer and is named in the request log of both', () => {
    const r = results.get('a latency fault')!;
    for (const log of [r.serverLog, r.mswLog]) {
      expect(log).toEqual([
        { route: 'webhook', status: 200, fault: expect.stringMatching(/API latency 40 ms/), ms: expect.any(Number) },
      ]);
      expect((log[0] as { ms: number }).ms).toBeGreaterThanOrEqual(39);
    }
  });

  it('the request log of both records every call, refused ones included, with the route and status', () => {
    const r = results.get(
      'an nth API fault after a malformed call (each authenticated call counts, before its body is read)',
    )!;
    const strip = (log: unknown[]) =>
      (log as { route: string; status: number; fault?: string }[]).map(({ route, status, fault }) => ({
        route,
        status,
        fault,
      }));
    expect(strip(r.mswLog)).toEqual(strip(r.serverLog));
    expect(strip(r.serverLog).map((x) => x.status)).toEqual([400, 429, 200, 401]);
  });
});
