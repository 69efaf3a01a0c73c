import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonCaller, mswPulseFor, PULSE } from '../adapters.js';

/**
 * A recording written by hand (they are plain JSON to read and edit) replayed through the msw
 * handlers: the `recordings` option in code, as `--recordings` on the CLI.
 */
const dir = mkdtempSync(join(tmpdir(), 'pm-hand-recording-'));
writeFileSync(
  join(dir, '0001-extract.json'),
  JSON.stringify({
    version: 1,
    recordedAt: '2026-12-01T00:00:00.000Z',
    upstream: 'https://api.runpulse.com',
    request: { method: 'POST', route: 'extract', path: '/extract', fields: { file_url: 'https://e.com/memo.pdf' } },
    response: {
      status: 200,
      body: { markdown: '# Memo\n\nHand-written.', page_count: 1, extraction_id: 'rec-extraction-0001' },
    },
  }),
);

describe('recordings through msw', () => {
  const { clock } = mswPulseFor({ apiKey: 'k', seed: 3, recordings: dir, processingMs: 100, queueMs: 10 });
  const call = jsonCaller(() => PULSE, 'k');

  it('answers the recorded body, sync and async, with ids of its own; other requests get generated results', async () => {
    const sync = await call('POST', '/extract', { fileUrl: 'https://e.com/memo.pdf' });
    expect(sync.body.markdown).toBe('# Memo\n\nHand-written.');
    expect(sync.body.extraction_id).toMatch(/^[0-9a-f-]{36}$/);
    const submitted = await call('POST', '/extract', { file_url: 'https://e.com/memo.pdf', async: true });
    await clock.advance(1000);
    const job = await call('GET', `/job/${submitted.body.job_id}`);
    expect([job.body.status, job.body.result.markdown]).toEqual(['completed', '# Memo\n\nHand-written.']);
    const other = await call('POST', '/extract', { file_url: 'https://e.com/invoice.pdf' });
    expect(other.body.markdown).toMatch(/^# INVOICE/);
  });
});
