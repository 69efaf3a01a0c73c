import { describe, expect, it } from 'vitest';
import { PulseMockError } from '../../src/core/errors.js';
import { normalizeExtractRequest, parsePageRange } from '../../src/operations/extract/request.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as PulseMockError).code;
  }
  return 'no error';
};

describe('normalizeExtractRequest', () => {
  it('accepts the three spellings of the file URL and takes the file name from the path', () => {
    for (const key of ['file_url', 'fileUrl', 'file-url']) {
      const r = normalizeExtractRequest({ [key]: 'https://cdn.example.com/docs/Q3%20report.pdf?sig=abc' });
      expect(r.source).toEqual({ kind: 'url', url: 'https://cdn.example.com/docs/Q3%20report.pdf?sig=abc' });
      expect(r.fileName).toBe('Q3 report.pdf');
      expect(r.fileType).toBe('pdf');
    }
    expect(normalizeExtractRequest({ 'file-url': 'https://e.com/a.pdf' }).warnings.join()).toMatch(/deprecated/);
  });

  it('reads async as a boolean or the strings multipart sends', () => {
    expect(normalizeExtractRequest({ file_url: 'https://e.com/a.pdf', async: 'true' }).async).toBe(true);
    expect(normalizeExtractRequest({ file_url: 'https://e.com/a.pdf', async: 'false' }).async).toBe(false);
    expect(normalizeExtractRequest({ file_url: 'https://e.com/a.pdf', async: true }).async).toBe(true);
    expect(normalizeExtractRequest({ file_url: 'https://e.com/a.pdf' }).async).toBe(false);
    expect(code(() => normalizeExtractRequest({ file_url: 'https://e.com/a.pdf', async: 'yes please' }))).toBe(
      'INVALID_PARAMETER',
    );
  });

  it('reads the schema from structured_output, structuredOutput (object or JSON string) and legacy schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    for (const fields of [
      { structured_output: { schema, schema_prompt: 'p' } },
      { structuredOutput: JSON.stringify({ schema, schemaPrompt: 'p' }) },
      { schema: JSON.stringify(schema), schemaPrompt: 'p' },
      { schema, schema_prompt: 'p' },
    ]) {
      const r = normalizeExtractRequest({ file_url: 'https://e.com/a.pdf', ...fields });
      expect(r.structured).toEqual({ usable: true, schema, prompt: 'p' });
    }
  });

  it('uses the upload over a URL and types files by extension, then MIME type, else PDF', () => {
    const upload = { filename: 'scan.PNG', mimetype: 'image/png', size: 3, sha256: 'ab' };
    const r = normalizeExtractRequest({ file_url: 'https://e.com/a.pdf' }, upload);
    expect(r.source.kind).toBe('upload');
    expect(r.fileType).toBe('png');
    expect(normalizeExtractRequest({}, { ...upload, filename: 'blob' }).fileType).toBe('png');
    expect(normalizeExtractRequest({ file_url: 'https://s3.example.com/bucket/abc123' }).fileType).toBe('pdf');
    for (const ok of ['a.jpeg', 'a.docx', 'a.pptx', 'a.xlsx', 'a.xls', 'a.xlsm', 'a.html'])
      expect(code(() => normalizeExtractRequest({ file_url: `https://e.com/${ok}` }))).toBe('no error');
    expect(code(() => normalizeExtractRequest({ file_url: 'https://e.com/a.exe' }))).toBe('FILE_001');
    expect(code(() => normalizeExtractRequest({}, { ...upload, filename: 'blob', mimetype: 'video/mp4' }))).toBe(
      'FILE_001',
    );
  });
});

describe('parsePageRange', () => {
  it('parses 1-indexed pages and ranges, sorted and unique', () => {
    expect(parsePageRange('1-2,5')).toEqual([1, 2, 5]);
    expect(parsePageRange(' 3 , 1-2, 2 ')).toEqual([1, 2, 3]);
    expect(parsePageRange(4)).toEqual([4]);
  });
  it.each(['', '0', '2-1', 'a', '1-', '1,,2', '-3', '1-6000'])('rejects %j with REQ_006', (v) => {
    expect(code(() => parsePageRange(v))).toBe('REQ_006');
  });
});
