import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { mswPulseFor, PULSE } from '../adapters.js';
import { parseInstructions } from '../../src/operations/form.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

/** Issue 20, forms: detect, fill, clear and the PDF, as the SDK (multipart) and the docs (JSON) send them. */
const KEY = 'sk_forms';
type Res = { status: number; body: Record<string, any> };
type Send = (path: string, body: Record<string, unknown> | FormData) => Promise<Res>;
const sender =
  (base: () => string): Send =>
  async (path, body) => {
    const multipart = body instanceof FormData;
    const res = await fetch(`${base()}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, ...(multipart ? {} : { 'content-type': 'application/json' }) },
      body: multipart ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

/** The smallest valid PDF with three page objects, written here by hand (an upload, not something the mock made). */
function threePagePdf(): Uint8Array<ArrayBuffer> {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>',
    ...[1, 2, 3].map(() => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>'),
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

async function formsFlow(
  send: Send,
  get: (url: string) => Promise<Response>,
  settle: () => Promise<void>,
  checkPdf: boolean,
) {
  // The SDK's multipart: snake_case parts, async as a string.
  const upload = new FormData();
  upload.set('file', new Blob([threePagePdf()], { type: 'application/pdf' }), 'patient-intake.pdf');
  const detected = await send('/form/detect', upload);
  expect(detected.status, JSON.stringify(detected.body)).toBe(200);
  expect(detected.body.page_count).toBe(3); // the uploaded PDF's own pages
  for (const cell of detected.body.form_fields as { page_number: number; bounding_box: number[] }[]) {
    expect(cell.page_number).toBeGreaterThanOrEqual(1);
    expect(cell.page_number).toBeLessThanOrEqual(3);
    expect(cell.bounding_box).toHaveLength(4);
  }

  const fill = new FormData();
  fill.set('form_id', detected.body.form_id);
  fill.set(
    'instructions',
    'Fill in patient name as Jane Doe, date of birth: 01/15/1990; check New patient and Phone is 555-0100. Favourite colour is blue',
  );
  const filled = await send('/form/fill', fill);
  expect(filled.status).toBe(200);
  expect(filled.body.fields_filled).toBe(4);
  expect(filled.body.warnings).toEqual(['No field matches "Favourite colour is blue".']);
  expect(filled.body.form_id).not.toBe(detected.body.form_id);
  const byLabel = Object.fromEntries(
    (filled.body.form_fields as { label: string; text: string }[]).map((c) => [c.label, c.text]),
  );
  expect(byLabel).toMatchObject({
    'Patient name': 'Jane Doe',
    'Date of birth': '01/15/1990',
    Phone: '555-0100',
    'New patient': 'X',
  });

  const pdf = await get(filled.body.pdf_url as string);
  expect([pdf.status, pdf.headers.get('content-type')]).toEqual([200, 'application/pdf']);
  const bytes = new Uint8Array(await pdf.arrayBuffer());
  expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
  if (checkPdf) {
    const file = join(mkdtempSync(join(tmpdir(), 'pm-form-')), 'filled.pdf');
    writeFileSync(file, bytes);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/^Pages:\s+3$/m);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    for (const v of ['Jane Doe', '01/15/1990', '555-0100', '[X] New patient']) expect(text).toContain(v);
  }

  // The docs' JSON, async: 202, then the FormResult inline in GET /job.
  const cleared = await send('/form/clear', {
    form_id: filled.body.form_id,
    instructions: 'Phone; date of birth',
    async: true,
  });
  expect(cleared.status).toBe(202);
  await settle();
  const job = (await get(`/job/${cleared.body.job_id}`).then((r) => r.json())) as {
    status: string;
    result: Record<string, any>;
  };
  expect(job).toMatchObject({ status: 'completed', result: { fields_cleared: 2, form_id: cleared.body.job_id } });
  const left = (job.result.form_fields as { label: string; text: string }[]).filter((c) => c.text).map((c) => c.label);
  expect(left).toEqual(['Patient name', 'New patient']);
  const all = await send('/form/clear', { form_id: job.result.form_id });
  expect(all.body.fields_cleared).toBe(2);

  // Exactly one source; a non-PDF; an unknown form_id.
  expect((await send('/form/detect', {})).status).toBe(400);
  expect((await send('/form/detect', { file_url: 'https://e.com/a.pdf', form_id: detected.body.form_id })).status).toBe(
    400,
  );
  const txt = new FormData();
  txt.set('file', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
  expect((await send('/form/detect', txt)).status).toBe(400);
  expect((await send('/form/fill', { form_id: 'nope', instructions: 'Name is x' })).status).toBe(404);
  expect((await send('/form/fill', { file_url: 'https://e.com/w9.pdf' })).status).toBe(400);
}

describe('forms through the server', () => {
  const clock = new ManualClock();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 3, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 10, processingMs: 100 },
      }),
      { clock },
    );
  });
  afterAll(() => server.mock.close());

  it('detect, fill and clear chain by form_id; the PDF opens in pdfinfo with page_count pages and pdftotext shows the values', async () => {
    const get = (url: string) =>
      fetch(url.startsWith('http') ? url : `${server.mock.url}${url}`, { headers: { 'x-api-key': KEY } });
    await formsFlow(
      sender(() => server.mock.url),
      get,
      () => clock.advance(200),
      true,
    );
  });
});

describe('forms through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 3, queueMs: 10, processingMs: 100 });

  it('the same', async () => {
    const base = PULSE;
    const get = (url: string) =>
      fetch(url.startsWith('http') ? url : `${base}${url}`, { headers: { 'x-api-key': KEY } });
    await formsFlow(
      sender(() => base),
      get,
      () => clock.advance(200),
      false,
    );
  });
});

describe('instructions', () => {
  it('are clauses of `<label> is|as|to|: <value>`, or check/uncheck <label>', () => {
    expect(parseInstructions('Set the email to a@b.co; uncheck Has allergies, Name: Jane Doe and DOB 1990')).toEqual([
      { label: 'email', value: 'a@b.co', clause: 'Set the email to a@b.co' },
      { label: 'Has allergies', value: false, clause: 'uncheck Has allergies' },
      { label: 'Name', value: 'Jane Doe', clause: 'Name: Jane Doe' },
      { label: 'DOB 1990', clause: 'DOB 1990' },
    ]);
  });
});

describe('an uploaded PDF keeps its own page count for extract too', () => {
  it('counts its page objects while it streams', async () => {
    const server = await startServer(
      resolveConfig({ env: {}, options: { seed: 3, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
    try {
      const form = new FormData();
      form.set('file', new Blob([threePagePdf()], { type: 'application/pdf' }), 'annual-report.pdf');
      const res = await fetch(`${server.mock.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': KEY },
        body: form,
      });
      expect(((await res.json()) as { page_count: number }).page_count).toBe(3);
    } finally {
      await server.mock.close();
    }
  });
});

describe('a form is a document of the one model', () => {
  it('/extract of a form file reads the fields /form/detect reports: same labels, pages and outlines', async () => {
    const server = await startServer(
      resolveConfig({ env: {}, options: { seed: 9, apiKey: KEY, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
    const send = sender(() => server.mock.url);
    try {
      const file_url = 'https://e.com/patient-intake-form-2p.pdf';
      const detected = (await send('/form/detect', { file_url })).body;
      const extracted = (await send('/extract', { file_url })).body;
      expect([detected.page_count, extracted.page_count]).toEqual([2, 2]);
      const cells = detected.form_fields as { label: string; page_number: number; bounding_box: number[] }[];
      expect(cells.map((c) => c.label)).toContain('Patient name');
      const texts = extracted.bounding_boxes.Text as { content: string; page_number: number; bounding_box: number[] }[];
      for (const cell of cells) {
        const block = texts.find((t) => t.content.includes(cell.label));
        expect(block, cell.label).toBeDefined();
        expect(block!.page_number).toBe(cell.page_number);
        // Pulse's 4-number FormCell box is the rectangle around the block's 8-number outline.
        const [x1, y1, x2, , , y3] = block!.bounding_box;
        expect(cell.bounding_box).toEqual([x1, y1, x2, y3]);
      }
      expect(extracted.markdown).toContain('Patient name: ____________');
    } finally {
      await server.mock.close();
    }
  });
});
