import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { createPulseMock, type PulseMock } from '../../src/index.js';

/**
 * A web page tries to drive the mock, in Chromium: by DNS rebinding (its own name re-pointed at
 * 127.0.0.1, so its requests are same-origin with the mock) and by plain cross-site requests.
 * `--host-resolver-rules` plays the attacker's DNS: evil.example resolves to 127.0.0.1.
 */
let browser: Browser;
let page: Page | undefined;
const ATTACK_PAGE = '<!doctype html><title>cat pictures</title><p>nothing to see here</p>';

/** The attacker's web server on 127.0.0.1 (port 0: any), closing each connection after its answer. */
function attackerServer(port = 0): Promise<Server> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html', connection: 'close' }).end(ATTACK_PAGE),
  );
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: Server) => (s.address() as AddressInfo).port;
const stop = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

beforeAll(async () => {
  browser = await launchChromium(['--host-resolver-rules=MAP evil.example 127.0.0.1']);
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.close();
  page = undefined;
});

/** What the mock's state is: it must be the same after an attack. */
const snapshot = (mock: PulseMock) => ({
  endpoints: mock.endpoints.list().map((e) => ({
    id: e.id,
    url: e.url,
    secrets: [e.secret, ...e.previousSecrets.map((s) => s.secret)],
    disabled: e.disabled,
  })),
  faults: mock.faults.list(),
  messages: mock.messages().length,
});

describe('a page on evil.example, in Chromium', { timeout: 60_000 }, () => {
  it('after DNS rebinding (same origin as the mock) can neither read /_mock/endpoints nor change any state', async () => {
    // The page loads from the attacker's server, then the name "rebinds" to the mock: the
    // attacker's server goes away and the mock listens on the same port.
    const attacker = await attackerServer();
    const port = portOf(attacker);
    page = await browser.newPage();
    await page.goto(`http://evil.example:${port}/`);
    await stop(attacker);
    const mock = await createPulseMock({ port, webhookUrl: ['http://127.0.0.1:9/hook'] });
    try {
      const [ep] = mock.endpoints.list();
      const before = snapshot(mock);
      const got = await page.evaluate(async (id) => {
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(path, {
            method,
            ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
          });
          return { path, status: res.status, text: await res.text() };
        };
        return [
          await call('GET', '/_mock/endpoints'),
          await call('GET', `/_mock/endpoints/${id}`),
          await call('POST', '/_mock/endpoints', { url: 'http://127.0.0.1:9/evil' }),
          await call('POST', '/_mock/faults', { fault: { kind: 'drop' } }),
          await call('POST', `/_mock/endpoints/${id}/rotate-secret`),
          await call('POST', `/_mock/endpoints/${id}/test`),
          await call('POST', `/_mock/endpoints/${id}/recover`),
          await call('DELETE', `/_mock/endpoints/${id}`),
          await call('POST', '/webhook'),
        ];
      }, ep!.id);
      for (const r of got) {
        expect(r.status, r.path).toBe(403);
        expect(r.text, r.path).toContain('HOST_NOT_ALLOWED');
        expect(r.text, r.path).not.toContain('whsec_');
      }
      expect(snapshot(mock)).toEqual(before);
    } finally {
      await mock.close();
    }
  });

  it('cross-site, with a body and without, changes nothing and reads nothing', async () => {
    const mock = await createPulseMock({ port: 0, webhookUrl: ['http://127.0.0.1:9/hook'] });
    const attacker = await attackerServer();
    try {
      const [ep] = mock.endpoints.list();
      const before = snapshot(mock);
      page = await browser.newPage();
      await page.goto(`http://evil.example:${portOf(attacker)}/`);
      const read = await page.evaluate(
        async ({ target, id }) => {
          const outcomes: string[] = [];
          // Simple requests a browser sends without a preflight: no body, or a text/plain or form body.
          for (const path of [
            `/_mock/endpoints/${id}/rotate-secret`,
            `/_mock/endpoints/${id}/test`,
            `/_mock/endpoints/${id}/recover`,
            '/_mock/messages/x/resend',
          ]) {
            await fetch(target + path, { method: 'POST', mode: 'no-cors' });
            await fetch(target + path, {
              method: 'POST',
              mode: 'no-cors',
              headers: { 'content-type': 'text/plain' },
              body: '{}',
            });
          }
          await fetch(target + '/_mock/faults', {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ fault: { kind: 'drop' } }),
          });
          await fetch(target + '/_mock/endpoints', {
            method: 'POST',
            mode: 'no-cors',
            body: new URLSearchParams({ url: 'http://127.0.0.1:9/evil' }),
          });
          // A form post, as a hidden form on the page would send it.
          const form = Object.assign(document.createElement('form'), {
            method: 'POST',
            action: `${target}/_mock/endpoints/${id}/rotate-secret`,
            target: 'sink',
          });
          const frame = Object.assign(document.createElement('iframe'), { name: 'sink' });
          document.body.append(frame, form);
          await new Promise((resolve) => {
            frame.onload = resolve;
            form.submit();
          });
          // And a read: CORS keeps the answer from the page.
          try {
            outcomes.push(await (await fetch(`${target}/_mock/endpoints`)).text());
          } catch (e) {
            outcomes.push(`blocked: ${(e as Error).name}`);
          }
          return outcomes;
        },
        { target: mock.url, id: ep!.id },
      );
      expect(read).toEqual(['blocked: TypeError']);
      expect(snapshot(mock)).toEqual(before);
    } finally {
      await stop(attacker);
      await mock.close();
    }
  });
});
