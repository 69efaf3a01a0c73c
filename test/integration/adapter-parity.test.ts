import { setupServer } from 'msw/node';
import { describe, expect, it } from 'vitest';
import { createPulseMock } from '../../src/index.js';
import { createPulseMsw } from '../../src/msw/index.js';

describe('one core, two adapters', () => {
  it('gives the same bodies and statuses through msw and through the server for the same steps', async () => {
    const steps = async (base: string, key: string) => {
      const out: unknown[] = [];
      const go = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const json = (await res.json()) as Record<string, unknown>;
        out.push({ status: res.status, body: JSON.parse(JSON.stringify(json).replaceAll(base, 'BASE')) });
        return json;
      };
      await go('POST', '/extract', { file_url: 'https://e.com/dummy_statement.pdf', structured_output: { schema: { type: 'object', properties: { holder: { type: 'string' } } } }, extensions: { chunking: { chunk_types: ['page'] } } });
      await go('POST', '/extract', { file_url: 'https://e.com/big-report-80p.pdf' });
      const sub = await go('POST', '/extract', { file_url: 'https://e.com/contract.pdf', async: true });
      await go('GET', `/job/${sub.job_id}`);
      await go('DELETE', `/job/${sub.job_id}`);
      await go('GET', `/job/${sub.job_id}`);
      await go('POST', '/extract', { pages: '5-1', file_url: 'https://e.com/a.pdf' });
      await go('POST', '/extract', { file_url: 'https://e.com/a.exe' });
      await go('GET', '/job/nope');
      await go('GET', '/job/x', undefined, { 'x-api-key': 'wrong' });
      return out.map((o) => {
        // Timestamps differ between the two runs; everything else must match.
        const s = JSON.stringify(o).replace(/"(created_at|updated_at|queuedAt)":"[^"]+"/g, '"$1":"T"');
        return JSON.parse(s) as unknown;
      });
    };
    const options = { apiKey: 'sk_same', seed: 99, processingMs: 60_000 };
    const viaServer = await (async () => {
      const m = await createPulseMock({ port: 0, ...options });
      try {
        return await steps(m.url, 'sk_same');
      } finally {
        await m.close();
      }
    })();
    const msw = createPulseMsw({ ...options, baseUrl: 'https://parity.test' });
    const local = setupServer(...msw.handlers);
    local.listen({ onUnhandledRequest: 'error' });
    try {
      const viaMsw = await steps('https://parity.test', 'sk_same');
      expect(viaMsw).toEqual(viaServer);
      expect(viaMsw).toHaveLength(10);
    } finally {
      local.close();
      msw.close();
    }
  });
});
