import { describe, expect, it } from 'vitest';
import { matchKey, pairIds, redact, replaceIds, type Recording } from '../../src/recording/format.js';
import { Replayer } from '../../src/recording/replayer.js';
import { diffShapes, shapeOf } from '../../src/recording/shape-diff.js';

describe('recordings (pure)', () => {
  it('redacts the key, whsec_ secrets and credentials in URLs, and nothing else', () => {
    const body = {
      link: 'https://app.svix.com/login#key=eyJhbGciOi',
      url: 'https://api.runpulse.com/large_results/j1?expires=1700000000&token=abc123',
      image_url: 'https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA/x',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      echo: 'called with sk_live_123456',
      markdown: '# Invoice https://example.com/terms',
    };
    expect(redact(body, ['sk_live_123456'])).toEqual({
      link: 'https://app.svix.com/login#REDACTED',
      url: 'https://api.runpulse.com/large_results/j1?expires=1700000000&token=REDACTED',
      image_url: 'https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED',
      secret: 'whsec_REDACTED',
      echo: 'called with REDACTED',
      markdown: '# Invoice https://example.com/terms',
    });
  });

  it('matches the spellings clients send as one request, ids mapped, async aside', () => {
    const a = matchKey('POST', 'extract', { file_url: 'https://e.com/a.pdf', async: true }, undefined);
    expect(matchKey('post', 'extract', { fileUrl: 'https://e.com/a.pdf' }, undefined)).toBe(a);
    expect(matchKey('POST', 'extract', { 'file-url': 'https://e.com/b.pdf' }, undefined)).not.toBe(a);
    // A multipart form's JSON-as-a-string is JSON; a fresh id maps back to the recorded one.
    const recorded = matchKey('POST', 'schema', { extraction_id: 'rec-1', schema_config: { a: 1 } }, undefined);
    const fresh = matchKey('POST', 'schema', { extractionId: 'new-1', schemaConfig: '{"a":1}' }, undefined, (id) =>
      id === 'new-1' ? 'rec-1' : id,
    );
    expect(fresh).toBe(recorded);
  });

  it('pairs ids by place and replaces them everywhere', () => {
    const pairs = pairIds(
      { job_id: 'rec-job-1', result: { extraction_id: 'rec-ext-1' } },
      { job_id: 'new-job-1', result: { extraction_id: 'new-ext-1' } },
    );
    expect(replaceIds({ url: 'http://x/job/rec-job-1', id: 'rec-ext-1' }, pairs)).toEqual({
      url: 'http://x/job/new-job-1',
      id: 'new-ext-1',
    });
  });

  it('compares shapes, not values: arrays by their items, renames as one difference, null as any type', () => {
    const up = { a: 1, list: [{ x: 's' }, { x: 't', y: 2 }], extractionId: 'e', maybe: null, gone: true };
    const mock = { a: 2, list: [{ x: 'u', y: 3 }], extraction_id: 'f', maybe: 'now a string', added: [] };
    expect(diffShapes(shapeOf(up), shapeOf(mock))).toEqual([
      { path: '$.extractionId', kind: 'renamed', upstream: 'extractionId', mock: 'extraction_id' },
      { path: '$.gone', kind: 'missing', upstream: 'boolean', mock: 'absent' },
      { path: '$.added', kind: 'extra', upstream: 'absent', mock: 'array' },
    ]);
    expect(diffShapes(shapeOf({ n: 1 }), shapeOf({ n: '1' }))).toEqual([
      { path: '$.n', kind: 'type', upstream: 'number', mock: 'string' },
    ]);
  });

  it('replays the recordings of one request in order, and the last one repeats', () => {
    const rec = (n: number): Recording => ({
      version: 1,
      recordedAt: '2026-12-01T00:00:00.000Z',
      upstream: 'https://api.runpulse.com',
      request: { method: 'POST', route: 'extract', path: '/extract', fields: { file_url: 'https://e.com/a.pdf' } },
      response: { status: 200, body: { markdown: `take ${n}` } },
    });
    const replayer = new Replayer([rec(1), rec(2)]);
    const take = () =>
      (replayer.match('POST', 'extract', { fileUrl: 'https://e.com/a.pdf' }, undefined)?.result as { markdown: string })
        .markdown;
    expect([take(), take(), take()]).toEqual(['take 1', 'take 2', 'take 2']);
    expect(replayer.match('POST', 'extract', { file_url: 'https://e.com/b.pdf' }, undefined)).toBeUndefined();
  });
});
