import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPulseMock, type PulseMock } from '../../src/index.js';
import { resolveConfig } from '../../src/config.js';
import { sameSecret } from '../../src/core/secrets.js';
import { cookieValue, fromAnotherSite, hostAllowed } from '../../src/server/guard.js';

/** A raw HTTP request to 127.0.0.1 with any Host, Origin or Sec-Fetch-Site, as a browser or an attacker would send it. */
function raw(
  mock: PulseMock,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: mock.port,
        method,
        path,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text.startsWith('{') ? JSON.parse(text) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('on loopback: the Host header (DNS rebinding)', () => {
  let mock: PulseMock;
  beforeAll(async () => {
    mock = await createPulseMock({ port: 0, apiKey: 'sk_guard', allowedHosts: ['pulse-mock.test'] });
  });
  afterAll(() => mock.close());

  it('answers localhost, loopback addresses and allowed names, on every route', async () => {
    for (const host of [
      `localhost:${mock.port}`,
      `127.0.0.1:${mock.port}`,
      `[::1]:${mock.port}`,
      `app.localhost:${mock.port}`,
      `pulse-mock.test:${mock.port}`,
      'PULSE-MOCK.TEST',
    ]) {
      expect((await raw(mock, 'GET', '/_mock/endpoints', { host })).status, host).toBe(200);
      expect((await raw(mock, 'GET', '/health', { host })).status, host).toBe(200);
    }
  });

  it("refuses any other name with a 403 in Pulse's shape that names the flag, before anything is read or changed", async () => {
    const host = `evil.example:${mock.port}`;
    for (const [method, path] of [
      ['GET', '/_mock/endpoints'],
      ['GET', '/health'],
      ['GET', `/portal?token=${mock.portalToken}`],
      ['POST', '/webhook'],
      ['POST', '/_mock/faults'],
    ] as const) {
      const res = await raw(
        mock,
        method,
        path,
        { host, 'x-api-key': 'sk_guard' },
        method === 'POST' ? { fault: { kind: 'drop' } } : undefined,
      );
      expect(res.status, path).toBe(403);
      expect(res.json.error?.code).toBe('HOST_NOT_ALLOWED');
      expect(res.json.error?.message).toContain('--allowed-host evil.example');
    }
    expect(mock.faults.list()).toEqual([]);
    // POST /webhook no longer reflects a foreign Host into the portal link.
    const link = await raw(mock, 'POST', '/webhook', { host: `localhost:${mock.port}`, 'x-api-key': 'sk_guard' });
    expect(link.json.link).toMatch(new RegExp(`^http://localhost:${mock.port}/portal\\?token=`));
  });
});

describe('on loopback: pages of other sites change nothing', () => {
  let mock: PulseMock;
  let endpointId: string;
  let secret: string;
  beforeAll(async () => {
    mock = await createPulseMock({ port: 0, webhookUrl: ['http://127.0.0.1:9/hook'] });
    const [ep] = mock.endpoints.list();
    endpointId = ep!.id;
    secret = ep!.secret;
  });
  afterAll(() => mock.close());

  const crossSite: Record<string, string>[] = [
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { origin: 'http://localhost:3000' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ];

  it('refuses every admin call from another site with 403, with a body or without, reads included', async () => {
    for (const headers of crossSite) {
      const calls = [
        raw(mock, 'GET', '/_mock/endpoints', headers),
        raw(mock, 'POST', '/_mock/endpoints', headers, { url: 'http://127.0.0.1:9/evil' }),
        raw(mock, 'POST', `/_mock/endpoints/${endpointId}/rotate-secret`, headers),
        raw(mock, 'POST', '/_mock/messages/msg_x/resend', headers),
        raw(mock, 'POST', `/_mock/endpoints/${endpointId}/test`, headers),
        raw(mock, 'POST', `/_mock/endpoints/${endpointId}/recover`, headers),
        raw(mock, 'POST', '/_mock/faults', headers, { fault: { kind: 'drop' } }),
        raw(mock, 'DELETE', `/_mock/endpoints/${endpointId}`, headers),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.json.error?.code).toBe('CROSS_SITE_REFUSED');
      }
    }
    expect(mock.endpoints.list().map((e) => [e.id, e.secret])).toEqual([[endpointId, secret]]);
    expect(mock.faults.list()).toEqual([]);
    expect(mock.messages()).toEqual([]);
  });

  it('stays open to its own origin and to non-browser clients', async () => {
    const own = await raw(
      mock,
      'POST',
      '/_mock/faults',
      { origin: `http://127.0.0.1:${mock.port}`, 'sec-fetch-site': 'same-origin' },
      { fault: { kind: 'delay', ms: 1 } },
    );
    expect(own.status).toBe(201);
    expect((await raw(mock, 'DELETE', '/_mock/faults')).status).toBe(200);
  });

  it("keeps Pulse's API open to any origin, as Pulse's is", async () => {
    const res = await raw(
      mock,
      'POST',
      '/extract',
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'x-api-key': 'k' },
      { file_url: 'https://e.com/a.pdf' },
    );
    expect(res.status).toBe(200);
  });
});

describe('beyond loopback: two tokens', () => {
  let mock: PulseMock;
  beforeAll(async () => {
    // Listening on every interface; this test talks to 127.0.0.1 only.
    mock = await createPulseMock({ port: 0, host: '0.0.0.0', apiKey: 'sk_wide' });
  });
  afterAll(() => mock.close());

  it('serves any Host (CI service names) and keeps the admin API behind the admin token', async () => {
    expect((await raw(mock, 'GET', '/health', { host: 'pulse-mock:4050' })).status).toBe(200);
    expect((await raw(mock, 'GET', '/_mock/endpoints', { host: 'pulse-mock:4050' })).status).toBe(401);
    expect((await raw(mock, 'GET', '/_mock/endpoints', { authorization: `Bearer ${mock.adminToken}` })).status).toBe(
      200,
    );
    expect((await raw(mock, 'GET', '/_mock/endpoints', { 'x-pulse-mock-admin-token': mock.adminToken })).status).toBe(
      200,
    );
    expect((await raw(mock, 'GET', '/_mock/endpoints', { authorization: 'Bearer wrong' })).json.error?.code).toBe(
      'ADMIN_TOKEN_REQUIRED',
    );
  });

  it('gives out no admin token through the Pulse API: the link opens the portal page only', async () => {
    const res = await raw(mock, 'POST', '/webhook', { 'x-api-key': 'sk_wide' });
    expect(JSON.stringify(res.json)).not.toContain(mock.adminToken);
    const token = new URL(res.json.link as string).searchParams.get('token')!;
    expect((await raw(mock, 'GET', '/_mock/endpoints', { authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await raw(mock, 'GET', '/portal?token=wrong')).status).toBe(401);
    const page = await raw(mock, 'GET', `/portal?token=${token}`);
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/^pulse_mock_admin=[^;]+; Path=\/_mock; HttpOnly; SameSite=Strict$/);
    // The page's session opens the admin API; a page of another site still gets nothing.
    const session = cookie.split(';')[0]!;
    expect((await raw(mock, 'GET', '/_mock/endpoints', { cookie: session })).status).toBe(200);
    expect((await raw(mock, 'GET', '/_mock/endpoints', { cookie: `${session}x` })).status).toBe(401);
    expect(
      (
        await raw(
          mock,
          'POST',
          '/_mock/faults',
          { cookie: session, origin: 'http://evil.example' },
          { fault: { kind: 'drop' } },
        )
      ).status,
    ).toBe(403);
  });
});

describe('the guard as pure rules', () => {
  it('tells hosts, sites and cookies apart', () => {
    const allowed = new Set(['ci.local']);
    expect(
      ['localhost', 'localhost:1', '127.0.0.1:80', '127.9.9.9', '[::1]:4050', 'ci.local:9', 'x.localhost'].every((h) =>
        hostAllowed(h, allowed),
      ),
    ).toBe(true);
    expect(
      ['evil.example', '127.0.0.1.evil.example', 'localhost.evil', '[::2]', '0.0.0.0', '10.0.0.1'].some((h) =>
        hostAllowed(h, allowed),
      ),
    ).toBe(false);
    expect(fromAnotherSite({ host: 'localhost:1', origin: 'http://localhost:1' }, 'http')).toBe(false);
    expect(fromAnotherSite({ host: 'localhost:1', origin: 'http://localhost:2' }, 'http')).toBe(true);
    expect(fromAnotherSite({ host: 'localhost:1', 'sec-fetch-site': 'same-origin' }, 'http')).toBe(false);
    expect(fromAnotherSite({ host: 'localhost:1' }, 'http')).toBe(false);
    expect(cookieValue('a=1; pulse_mock_admin=xyz; b=2', 'pulse_mock_admin')).toBe('xyz');
    expect(cookieValue('pulse_mock_adminx=1', 'pulse_mock_admin')).toBeUndefined();
  });

  it('compares secrets whatever their lengths', () => {
    expect(sameSecret('sk_a', 'sk_a')).toBe(true);
    expect(sameSecret('sk_a', 'sk_ab')).toBe(false);
    expect(sameSecret(undefined, 'sk_a')).toBe(false);
    expect(sameSecret('', 'sk_a')).toBe(false);
  });

  it('takes allowed hosts from the flag, the env var and the config file', () => {
    expect(resolveConfig({ env: {}, options: { allowedHosts: ['a.test', 'b.test'] } }).allowedHosts).toEqual([
      'a.test',
      'b.test',
    ]);
    expect(resolveConfig({ env: { PULSE_MOCK_ALLOWED_HOST: 'a.test,b.test' } }).allowedHosts).toEqual([
      'a.test',
      'b.test',
    ]);
    expect(() => resolveConfig({ env: {}, options: { allowedHosts: ['http://a.test/'] } })).toThrow(
      /invalid --allowed-host/,
    );
  });
});
