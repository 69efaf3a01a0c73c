import { connect } from 'node:net';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { FaultEngine } from '../../src/faults/fault-engine.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { startReceiver } from '../receivers.js';
import { report } from './report.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** `npm run soak` runs the attacks at the sizes they were found at; the suite at a tenth or less. */
const SOAK = process.env.RELIABILITY_REPORT !== undefined;
const attack = (probe: string, result: string) => report('attack', { probe, result });

/** Issue 17: every input has a limit, tried as a buggy client and a careless user would, over real sockets. */
const KEY = 'sk_bounds';
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    resolveConfig({
      env: {},
      options: {
        seed: 2,
        apiKey: KEY,
        port: 0,
        host: '127.0.0.1',
        requestTimeoutMs: 1000,
        deliveryTimeoutMs: 300,
        retrySchedule: [],
      },
    }),
    { clock: new ManualClock() },
  );
});
afterAll(() => server.mock.close());

const post = async (path: string, body: string | FormData, type?: string) => {
  const res = await fetch(`${server.mock.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, ...(type ? { 'content-type': type } : {}) },
    body,
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { code: string; message: string; details: Record<string, unknown> };
    } & Record<string, any>,
  };
};
const json = (path: string, value: unknown) => post(path, JSON.stringify(value), 'application/json');

describe('strings and lists kept in memory have a maximum, and more is refused with a 400 naming the field', () => {
  it('extract fields, in JSON and in multipart', async () => {
    const model = await json('/extract', { file_url: 'https://e.com/a.pdf', async: true, model: 'x'.repeat(201) });
    expect(model.status).toBe(400);
    expect(model.body.error?.message).toContain('model');
    const url = await json('/extract', { file_url: `https://e.com/${'a'.repeat(2100)}.pdf`, async: true });
    expect([url.status, url.body.error?.message.includes('file_url')]).toEqual([400, true]);
    const pages = await json('/extract', { file_url: 'https://e.com/a.pdf', pages: '1,'.repeat(200) });
    expect([pages.status, pages.body.error?.message.includes('pages')]).toEqual([400, true]);

    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(1000)], { type: 'application/pdf' }), 'a.pdf');
    form.set('model', 'm'.repeat(2 * 1024 * 1024));
    const big = await post('/extract', form);
    expect(big.status).toBe(400);
    expect(big.body.error?.details).toMatchObject({ field: 'model' });
    expect(server.runtime.core.jobs.size).toBe(0);
    attack(
      'extract `model` of 201 characters, `file_url` of 2,100, `pages` of 400',
      `400 naming the field each time (${model.body.error?.code})`,
    );
    attack(
      'multipart `model` field of 2 MB beside a file',
      `400 INVALID_PARAMETER, details.field "model"; no job stored`,
    );
  });

  it(`many async extracts with a huge \`model\` leave the heap flat (${SOAK ? '89 x 45 MB' : '4 x 5 MB'})`, async () => {
    const [n, mb] = SOAK ? [89, 45] : [4, 5];
    const body = JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true, model: 'm'.repeat(mb * 1024 * 1024) });
    const heapBefore = process.memoryUsage().heapUsed;
    const statuses = new Set<number>();
    for (let i = 0; i < n; i++) statuses.add((await post('/extract', body, 'application/json')).status);
    const grownMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024);
    expect([...statuses]).toEqual([413]);
    expect(server.runtime.core.jobs.size).toBe(0);
    attack(
      `${n} async extracts with a ${mb} MB \`model\` (JSON; it ran the mock out of heap before)`,
      `all 413 BODY_TOO_LARGE; no job kept; heap of the test process (mock in it) ${grownMb >= 0 ? '+' : ''}${grownMb} MB`,
    );
  });

  it(`a JSON body of ${SOAK ? '25 MB (2e6 keys)' : '5 MB (400k keys)'} is refused unparsed, and /health answers meanwhile`, async () => {
    const keys = SOAK ? 2_000_000 : 400_000;
    const parts: string[] = [];
    for (let i = 0; i < keys; i++) parts.push(`"k${i}":1`);
    const body = `{"file_url":"https://e.com/a.pdf",${parts.join(',')}}`;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = performance.now();
    const [refused, health] = await Promise.all([
      post('/extract', body, 'application/json'),
      fetch(`${server.mock.url}/health`),
    ]);
    const ms = Math.round(performance.now() - started);
    loop.disable();
    expect(refused.status).toBe(413);
    expect(health.status).toBe(200);
    attack(
      `a ${Math.round(body.length / 1024 / 1024)} MB JSON object of ${keys.toLocaleString('en')} keys (it blocked the event loop 3-6 s)`,
      `413 in ${ms} ms, before parsing; /health answered alongside; event loop delay max ${Math.round(loop.max / 1e6)} ms (client and mock share the process)`,
    );
  });

  it("endpoint fields: URL, description, the number of headers, basicAuth; fault rules' lists", async () => {
    const hook = 'http://127.0.0.1:9/hook';
    expect((await json('/_mock/endpoints', { url: `http://e.com/${'a'.repeat(2100)}` })).status).toBe(400);
    expect((await json('/_mock/endpoints', { url: hook, description: 'd'.repeat(10_001) })).status).toBe(400);
    const headers = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v']));
    expect((await json('/_mock/endpoints', { url: hook, headers })).status).toBe(400);
    expect(
      (await json('/_mock/endpoints', { url: hook, basicAuth: { username: 'u', password: 'p'.repeat(257) } })).status,
    ).toBe(400);
    const nth = await json('/_mock/faults', {
      fault: { kind: 'drop' },
      when: { nth: Array.from({ length: 101 }, (_, i) => i + 1) },
    });
    expect(nth.status).toBe(400);
    expect(nth.body.error?.message).toContain('nth');
    const million = await post(
      '/_mock/endpoints',
      `{"url":"${hook}","headers":{${Array.from({ length: SOAK ? 1_000_000 : 100_000 }, (_, i) => `"x-h${i}":"v"`).join(',')}}}`,
      'application/json',
    );
    expect(million.status).toBe(413);
    expect(server.mock.endpoints.list()).toHaveLength(0);
    expect(server.mock.faults.list()).toHaveLength(0);
    attack(
      `an endpoint with ${SOAK ? '1,000,000' : '100,000'} custom headers (it was accepted)`,
      `413 (the JSON body limit); 51 headers: 400 naming \`headers\``,
    );
    attack(
      'endpoint `url` of 2,100 characters, `description` of 10,001, basicAuth password of 257, a fault rule with 101 `nth`',
      '400 naming the field each time; nothing stored',
    );
  });

  it('headers no delivery can carry, or that would go out twice, are refused', async () => {
    const hook = 'http://127.0.0.1:9/hook';
    const refused = async (headers: Record<string, string>) => {
      const r = await json('/_mock/endpoints', { url: hook, headers });
      return [r.status, r.body.error?.details.field];
    };
    expect(await refused({ 'x-nul': 'a\u0000b' })).toEqual([400, 'headers']);
    expect(await refused({ 'x-accent': 'café' })).toEqual([400, 'headers']);
    for (const name of ['Expect', 'Upgrade', 'Keep-Alive', 'Content-Type', 'User-Agent', 'webhook-id'])
      expect(await refused({ [name]: 'x' })).toEqual([400, 'headers']);
    expect(await refused({ 'X-Trace': 'a', 'x-trace': 'b' })).toEqual([400, 'headers']);
    expect(server.mock.endpoints.list()).toHaveLength(0);
    attack(
      'endpoint headers with NUL, non-ASCII, Expect, Upgrade, Keep-Alive (accepted, then every delivery failed)',
      '400 naming `headers`',
    );
    attack(
      'custom `Content-Type` / `User-Agent` (sent twice), `X-Trace` + `x-trace`',
      '400: set by the delivery itself / given twice; custom names go out lower-cased',
    );
  });
});

describe('bodies', () => {
  it('JSON gets --json-body-limit (1 MB) on routes whose JSON carries no files, the admin API included; uploads keep --body-limit', async () => {
    const big = JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true, padding: 'x'.repeat(1024 * 1024) });
    const refused = await post('/extract', big, 'application/json');
    expect(refused.status).toBe(413);
    expect(refused.body.error?.message).toContain('--json-body-limit');
    const admin = await post(
      '/_mock/endpoints',
      JSON.stringify({ url: 'http://127.0.0.1:9/', description: 'x'.repeat(1024 * 1024) }),
      'application/json',
    );
    expect(admin.status).toBe(413);
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(3 * 1024 * 1024)], { type: 'application/pdf' }), 'big.pdf');
    expect((await post('/extract', form)).status).toBe(200);
    attack(
      'a 1 MB JSON body to /extract and to the admin API; a 3 MB upload',
      '413 BODY_TOO_LARGE naming --json-body-limit; the upload is taken (--body-limit, 50 MB)',
    );
  });

  it('415 names the type that was sent', async () => {
    const api = await post('/extract', 'a,b', 'text/csv');
    const admin = await post('/_mock/endpoints', 'a,b', 'text/csv');
    for (const r of [api, admin]) {
      expect(r.status).toBe(415);
      expect(r.body.error?.message).toContain('"text/csv"');
    }
    attack('a text/csv body to /extract and to the admin API (said "unknown")', `415 ${api.body.error?.message}`);
  });

  it('a request whose body never finishes is answered 408 and closed after --request-timeout-ms', async () => {
    const port = Number(new URL(server.mock.url).port);
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /extract HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"file_url":`,
    );
    await closed; // bounded by the server's 1 s request timeout, or vitest's test timeout
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // In Pulse's shape, not Node's own {"error":"Request Timeout"}.
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: {
        code: 'REQUEST_TIMEOUT',
        message: 'The request was not received whole within 1000 ms (--request-timeout-ms); the connection is closed.',
        details: { timeout_ms: 1000 },
      },
    });
    expect((await fetch(`${server.mock.url}/health`)).status).toBe(200);
    attack(
      'a request whose body never finishes (held forever)',
      '408 and closed after --request-timeout-ms (1 s here, 120 s by default)',
    );
  });
});

describe('endpoint URLs with credentials, and slow answers', () => {
  it('user:password@ in an endpoint URL is used as basic auth, not dropped', async () => {
    const receiver = await startReceiver();
    try {
      const url = receiver.url.replace('http://', 'http://alice:s%3Acret@');
      const created = await json('/_mock/endpoints', { url });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: receiver.url, basicAuth: { username: 'alice', password: 's:cret' } });
      expect((await json(`/_mock/endpoints/${created.body.id}/test`, {})).status).toBe(202);
      const [got] = await receiver.waitFor(1);
      expect(got?.headers.authorization).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
      attack(
        'an endpoint URL with user:password@ (silently dropped)',
        'used as basicAuth: the consumer gets Authorization: Basic; the URL is kept without them',
      );
      server.mock.endpoints.remove(created.body.id);
    } finally {
      await receiver.close();
    }
  });

  it('a delivery whose answer stops after the status line is logged as such, not as "no response"', async () => {
    const stalled = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial'); // and never ends
    });
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    try {
      const ep = server.mock.endpoints.add({ url: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/hook` });
      await json(`/_mock/endpoints/${ep.id}/test`, {});
      const d = await server.mock.waitForDelivery({ endpointId: ep.id });
      expect(d.attempts[0]?.error).toMatch(/timeout: the response \(status 200\) did not finish within 300 ms/);
      attack(
        'a consumer that sends its status line and never ends (logged "no response")',
        `logged: ${d.attempts[0]?.error}`,
      );
      server.mock.endpoints.remove(ep.id);
    } finally {
      stalled.closeAllConnections();
      stalled.close();
    }
  });
});

describe('injected API latency', () => {
  it('stacked latency rules add up to a minute at most, inside the request timeout', () => {
    const rules = Array.from({ length: 30 }, () => ({ fault: { kind: 'api-latency' as const, ms: 60_000 } }));
    expect(new FaultEngine(1, rules).forApi('poll').latencyMs).toBe(60_000);
    attack(
      '30 API latency rules of 60 s each (stacked past the request timeout)',
      'one call waits 60 s at most; --api-latency-ms and rules refuse more than 60000 per rule',
    );
  });
});
