import { describe, expect, it } from 'vitest';
import { createPulseMock } from '../../src/index.js';

describe('defaults that protect', () => {
  it('binds 127.0.0.1 by default, and wants the admin token on the admin API when listening beyond loopback', async () => {
    const local = await createPulseMock({ port: 0 });
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect((await fetch(`${local.url}/_mock/endpoints`)).status).toBe(200);
    await local.close();

    const wide = await createPulseMock({ port: 0, host: '0.0.0.0' });
    try {
      const denied = await fetch(`${wide.url}/_mock/endpoints`);
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('ADMIN_TOKEN_REQUIRED');
      expect(
        (await fetch(`${wide.url}/_mock/endpoints`, { headers: { authorization: `Bearer ${wide.adminToken}` } }))
          .status,
      ).toBe(200);
      // The portal link carries the portal token only: it opens the page, not the admin API.
      const res = await fetch(`${wide.url}/webhook`, { method: 'POST', headers: { 'x-api-key': 'k' } });
      const text = await res.text();
      expect(text).not.toContain(wide.adminToken);
      const link = (JSON.parse(text) as { link: string }).link;
      expect(new URL(link).searchParams.get('token')).toBe(wide.portalToken);
      expect(
        (await fetch(`${wide.url}/_mock/endpoints`, { headers: { authorization: `Bearer ${wide.portalToken}` } }))
          .status,
      ).toBe(401);
    } finally {
      await wide.close();
    }
  });

  it('enforces a configured API key and the body limit', async () => {
    const m = await createPulseMock({ port: 0, apiKey: 'sk_secret', jsonBodyLimit: 2048 });
    try {
      expect((await fetch(`${m.url}/job/x`, { headers: { 'x-api-key': 'sk_secreT' } })).status).toBe(401);
      const big = await fetch(`${m.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk_secret', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/a.pdf', pad: 'x'.repeat(4096) }),
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    } finally {
      await m.close();
    }
  });
});
