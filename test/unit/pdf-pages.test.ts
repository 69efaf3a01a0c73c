import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { PdfPageCounter } from '../../src/api/pdf-pages.js';

/** A real PDF of `pages` pages, written by pdfkit (compressed content streams, a page tree). */
function pdfkitPdf(pages: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ autoFirstPage: false });
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    for (let i = 0; i < pages; i++) doc.addPage().text(`Page ${i + 1}: /Type /Page inside text is not a page`);
    doc.end();
  });
}

/** A PDF 1.5 whose page tree lives in a compressed object stream (what the old counter saw as one page). */
function objectStreamPdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  const dicts = [
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    ...Array.from({ length: pages }, () => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>'),
  ];
  const body = dicts.join('\n');
  const packed = deflateSync(Buffer.from(body, 'latin1'));
  return Buffer.concat([
    Buffer.from(
      `%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n99 0 obj\n<< /Type /ObjStm /N ${dicts.length} /First 0 /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`,
      'latin1',
    ),
    packed,
    Buffer.from('\nendstream\nendobj\n%%EOF\n', 'latin1'),
  ]);
}

/** Page objects alone, no page tree: counted one by one. */
const looseObjects = (pages: number) =>
  Buffer.from(
    `%PDF-1.4\n${Array.from({ length: pages }, (_, i) => `${i + 3} 0 obj << /Type /Page >> endobj\n`).join('')}` +
      '4 0 obj << /Type /Pages >> endobj\n%%EOF\n',
    'latin1',
  );

function countIn(pdf: Buffer, cuts: number[]): number {
  const counter = new PdfPageCounter();
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < pdf.length)].sort((a, b) => a - b).concat(pdf.length)) {
    counter.add(pdf.subarray(at, cut));
    at = cut;
  }
  counter.end();
  return counter.count;
}

describe('PdfPageCounter', () => {
  it('counts pdfkit PDFs by their page tree, whatever the chunking (fast-check)', async () => {
    for (const pages of [1, 3, 17]) {
      const pdf = await pdfkitPdf(pages);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: pdf.length }), { maxLength: 60 }), (cuts) => countIn(pdf, cuts) === pages),
        { numRuns: 200, seed: 28 },
      );
    }
  });

  it('finds the page tree inside a compressed object stream, whatever the chunking', () => {
    const pdf = objectStreamPdf(5);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: pdf.length }), { maxLength: 40 }), (cuts) => countIn(pdf, cuts) === 5),
      { numRuns: 300, seed: 28 },
    );
  });

  it('counts /Type /Page objects (never /Pages) across every chunk edge, one byte at a time included', () => {
    const pdf = looseObjects(40);
    expect(
      countIn(
        pdf,
        Array.from({ length: pdf.length }, (_, i) => i),
      ),
    ).toBe(40);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: pdf.length }), { maxLength: 80 }), (cuts) => countIn(pdf, cuts) === 40),
      { numRuns: 300, seed: 28 },
    );
  });

  it('does not inflate an object stream past its cap: a deflate bomb counts nothing from it', () => {
    const inflated = PdfPageCounter.INFLATE_CAP + 1024 * 1024;
    const body = Buffer.concat([Buffer.alloc(inflated, 0x20), Buffer.from('<< /Type /Pages /Count 4000 >>')]);
    const packed = deflateSync(body);
    expect(packed.length).toBeLessThan(64 * 1024);
    const pdf = Buffer.concat([
      Buffer.from(`%PDF-1.5\n9 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`),
      packed,
      Buffer.from('\nendstream\nendobj\n3 0 obj << /Type /Page >> endobj\n%%EOF\n'),
    ]);
    expect(countIn(pdf, [1000, 5000])).toBe(1);
  });
});
