import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { pythonPath } from '../scripts/test-deps.js';

/**
 * The 20 public methods of Pulse's SDK 1.0.16 (../shared/pulse-api-surface.md, section 1), each
 * called once as the SDK calls it, through the server and through msw: none gets a 404, and
 * each answers what the SDK reads.
 */
export const SDK_KEY = 'sk_sdk';
const KEY = SDK_KEY;
const SCHEMA = { type: 'object', properties: { account_holder: { type: 'string' } } };

/**
 * Calls each method once against `base`. `settle(jobIds)` returns when those jobs are final
 * (advance a manual clock, or wait for their webhooks).
 */
export async function everyMethod(base: string, settle: (jobIds: string[]) => Promise<void>): Promise<string[]> {
  const called: string[] = [];
  const req = async (sdkMethod: string, method: string, path: string, body?: Record<string, unknown> | FormData) => {
    const multipart = body instanceof FormData;
    const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: { 'x-api-key': KEY, ...(body && !multipart ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: multipart ? body : JSON.stringify(body) } : {}),
    });
    expect(res.status, `${sdkMethod}: ${method} ${path}`).toBeLessThan(300);
    called.push(sdkMethod);
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json')
      ? ((await res.json()) as Record<string, any>)
      : { bytes: new Uint8Array(await res.arrayBuffer()), type };
  };
  const form = (fields: Record<string, string>, file?: [string, string]) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.set(k, v);
    if (file) f.set('file', new Blob([file[1]], { type: 'application/pdf' }), file[0]);
    return f;
  };

  const extracted = await req(
    'client.extract',
    'POST',
    '/extract',
    form({ file_url: 'https://e.com/annual-report.pdf', figureProcessing: JSON.stringify({ showImages: true }) }),
  );
  const asyncJob = await req(
    'client.extractAsync',
    'POST',
    '/extract_async',
    form({ file_url: 'https://e.com/statement.pdf' }),
  );
  const split = await req('client.split', 'POST', '/split', {
    extraction_id: extracted.extraction_id,
    split_config: { split_input: [{ name: 'Revenue' }] },
  });
  expect(Object.keys(split.split_output.splits)).toEqual(['Revenue']);
  const template = join(mkdtempSync(join(tmpdir(), 'pm-sdk-')), 't.xlsx');
  execFileSync(pythonPath(), [
    '-c',
    'import sys, openpyxl; wb = openpyxl.Workbook(); wb.active.append(["Company", "Revenue"]); wb.save(sys.argv[1])',
    template,
  ]);
  const schema = await req('client.schema', 'POST', '/schema', {
    extraction_id: extracted.extraction_id,
    schema_config: { excel_template: readFileSync(template).toString('base64') },
  });
  const xlsx = await req('client.downloadSchemaExcel', 'GET', `/schema/${schema.schema_id}/excel`);
  expect(new TextDecoder().decode(xlsx.bytes.slice(0, 2))).toBe('PK');
  const tables = await req('client.tables', 'POST', '/tables', {
    extraction_id: extracted.extraction_id,
    tables_config: { charts_to_tables: true },
  });
  expect(tables.tables_output.tables.some((t: { from_chart: boolean }) => t.from_chart)).toBe(true);
  const detected = await req(
    'client.form.detect',
    'POST',
    '/form/detect',
    form({}, ['claim.pdf', '%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF']),
  );
  const filled = await req(
    'client.form.fill',
    'POST',
    '/form/fill',
    form({ form_id: detected.form_id, instructions: 'Claimant name is Jo Bloggs' }),
  );
  expect(filled.fields_filled).toBe(1);
  const cleared = await req(
    'client.form.clear',
    'POST',
    '/form/clear',
    form({ form_id: filled.form_id, async: 'true' }),
  );
  const batch = await req('client.batch.extract', 'POST', '/batch/extract', {
    input: { file_urls: ['https://e.com/a-statement.pdf'] },
    output: { s3_prefix: 's3://o/' },
  });
  await settle([batch.batch_job_id]);
  await req('client.batch.split', 'POST', '/batch/split', {
    batch_extract_id: batch.batch_job_id,
    output: { s3_prefix: 's3://o/' },
    split_config: { split_input: [{ name: 'Transactions' }] },
  });
  await req('client.batch.schema', 'POST', '/batch/schema', {
    batch_extract_id: batch.batch_job_id,
    output: { s3_prefix: 's3://o/' },
    schema_config: { input_schema: SCHEMA },
  });
  await req('client.batch.tables', 'POST', '/batch/tables', {
    batch_extract_id: batch.batch_job_id,
    output: { s3_prefix: 's3://o/' },
  });
  const pipeline = await req('client.pipeline.execute', 'POST', '/pipeline/execute', {
    file_url: 'https://e.com/statement.pdf',
    steps: { extract: {}, schema: { input_schema: SCHEMA } },
  });
  expect(pipeline.status).toBe('completed');
  await settle([asyncJob.job_id, cleared.job_id]);
  const job = await req('client.jobs.getJob', 'GET', `/job/${asyncJob.job_id}`);
  expect(job.status).toBe('completed');
  expect((await req('client.jobs.getJob', 'GET', `/job/${cleared.job_id}`)).result.fields_cleared).toBe(1);
  const running = await req('client.extract', 'POST', '/extract', { file_url: 'https://e.com/x.pdf', async: true });
  await req('client.jobs.cancelJob', 'DELETE', `/job/${running.job_id}`);
  const pdf = await req('client.results.getPdf', 'GET', filled.pdf_url);
  expect(new TextDecoder().decode(pdf.bytes.slice(0, 5))).toBe('%PDF-');
  const png = await req('client.results.getImage', 'GET', extracted.bounding_boxes.Images[0].image_url);
  expect(Array.from(png.bytes.slice(1, 4))).toEqual([0x50, 0x4e, 0x47]);
  const large = await req('client.extract', 'POST', '/extract', { file_url: 'https://e.com/book-120p.pdf' });
  await req('client.largeResults.getLargeResult', 'GET', large.url);
  await req('client.webhooks.createWebhookLink', 'POST', '/webhook');
  return called;
}

export const ALL_SDK_METHODS = [
  'client.extract',
  'client.extractAsync',
  'client.split',
  'client.schema',
  'client.downloadSchemaExcel',
  'client.tables',
  'client.form.detect',
  'client.form.fill',
  'client.form.clear',
  'client.batch.extract',
  'client.batch.split',
  'client.batch.schema',
  'client.batch.tables',
  'client.pipeline.execute',
  'client.jobs.getJob',
  'client.jobs.cancelJob',
  'client.results.getPdf',
  'client.results.getImage',
  'client.largeResults.getLargeResult',
  'client.webhooks.createWebhookLink',
];
