import { Faker, en } from '@faker-js/faker';
import { marked } from 'marked';
import type { DocumentInfo } from '../../core/documents.js';
import type { ChunkType, ExtractRequest } from './request.js';
import { usageOf } from './large-results.js';
import { generateStructuredOutput } from './structured-output.js';

/**
 * Builds the body Pulse returns for an extraction (ExtractResponse): markdown that reads like
 * the document kind, bounding boxes, chunks and HTML when asked, and structured output when a
 * schema was sent. A pure function of its inputs: the same seed and request give the same body.
 */
export interface ExtractResult {
  markdown: string;
  content: string;
  page_count: number;
  extraction_id?: string;
  extraction_url?: string;
  job_id?: string;
  warnings: string[];
  credits_used: number;
  plan_info: PlanInfo;
  bounding_boxes: BoundingBoxes;
  extensions?: { chunking?: Partial<Record<ChunkType, string[]>>; altOutputs?: { html: string } };
  chunks?: Partial<Record<ChunkType, string[]>>;
  html?: string;
  structured_output?: { values: unknown; citations: Record<string, unknown> };
  input_schema?: Record<string, unknown>;
  schema_error?: string;
}

export type { LargeResultPointer } from './large-results.js';

export interface PlanInfo {
  tier: string;
  total_credits_used: number;
  pages_used: number;
  note: string;
}

export interface BoxItem {
  content: string;
  page_number: number;
  bounding_box: number[];
}
export interface BoundingBoxes {
  Text: BoxItem[];
  Title: BoxItem[];
  Tables: BoxItem[];
  Images: BoxItem[];
  Footer: BoxItem[];
}


export interface GenerateContext {
  seed: number;
  extractionId?: string;
  extractionUrl?: string;
  jobId?: string;
}

const faker = new Faker({ locale: [en] });

export function generateExtraction(req: ExtractRequest, doc: DocumentInfo, ctx: GenerateContext): ExtractResult {
  faker.seed(ctx.seed);
  const pages = doc.pages.map((n) => renderPage(doc, n));
  const markdown = pages.map((p) => p.markdown).join('\n\n');
  const { credits, planInfo } = usageOf(req, doc.pages.length);
  const result: ExtractResult = {
    markdown,
    content: markdown,
    page_count: doc.pages.length,
    ...(ctx.extractionId && req.storage ? { extraction_id: ctx.extractionId } : {}),
    ...(ctx.extractionUrl && req.storage ? { extraction_url: ctx.extractionUrl } : {}),
    ...(ctx.jobId ? { job_id: ctx.jobId } : {}),
    warnings: [...req.warnings],
    credits_used: credits,
    plan_info: planInfo,
    bounding_boxes: mergeBoxes(pages.map((p) => p.boxes)),
  };
  if (req.chunking) {
    const chunks = chunk(pages.map((p) => p.markdown), req.chunking.request.types, req.chunking.request.size ?? 1000);
    if (req.chunking.legacy) result.chunks = chunks;
    else result.extensions = { ...result.extensions, chunking: chunks };
  }
  if (req.returnHtml) {
    const html = marked.parse(markdown, { async: false });
    if (req.returnHtml.legacy) result.html = html;
    else result.extensions = { ...result.extensions, altOutputs: { html } };
  }
  if (req.structured) {
    if (!req.structured.usable) result.schema_error = req.structured.reason;
    else {
      result.input_schema = req.structured.schema;
      const so = generateStructuredOutput(req.structured.schema, ctx.seed, doc.pages.length);
      if (so.ok) result.structured_output = { values: so.values, citations: so.citations };
      else result.schema_error = so.schema_error;
    }
  }
  return result;
}



interface RenderedPage {
  markdown: string;
  boxes: BoundingBoxes;
}

/** Renders one page as markdown blocks, recording a bounding box per block as it goes. */
function renderPage(doc: DocumentInfo, page: number): RenderedPage {
  const blocks: { kind: keyof BoundingBoxes; text: string }[] = [];
  const title = (t: string, level = 1) => blocks.push({ kind: 'Title', text: `${'#'.repeat(level)} ${t}` });
  const text = (t: string) => blocks.push({ kind: 'Text', text: t });
  const table = (header: string[], rows: string[][]) =>
    blocks.push({
      kind: 'Tables',
      text: [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'),
    });
  const money = () => faker.finance.amount({ min: 10, max: 5000, dec: 2 });
  const first = page === doc.pages[0];

  switch (doc.kind) {
    case 'invoice': {
      if (first) {
        title(doc.title ?? 'INVOICE');
        text(`**${faker.company.name()}**  \n${faker.location.streetAddress()}, ${faker.location.city()} ${faker.location.zipCode()}`);
        text(`**Invoice #:** INV-${faker.string.numeric(6)}  \n**Date:** ${faker.date.recent({ days: 60 }).toISOString().slice(0, 10)}  \n**Bill to:** ${faker.person.fullName()}, ${faker.company.name()}`);
      }
      const rows = Array.from({ length: faker.number.int({ min: 2, max: 6 }) }, () => {
        const qty = faker.number.int({ min: 1, max: 20 });
        const unit = faker.finance.amount({ min: 5, max: 400, dec: 2 });
        return [faker.commerce.productName(), String(qty), `$${unit}`, `$${(qty * Number(unit)).toFixed(2)}`];
      });
      table(['Description', 'Qty', 'Unit price', 'Amount'], rows);
      const total = rows.reduce((s, r) => s + Number((r[3] as string).slice(1)), 0);
      text(`**Subtotal:** $${total.toFixed(2)}  \n**Tax (8%):** $${(total * 0.08).toFixed(2)}  \n**Total due:** $${(total * 1.08).toFixed(2)}`);
      break;
    }
    case 'bank-statement': {
      if (first) {
        title(doc.title ?? 'Account Statement');
        text(`**${faker.company.name()} Bank**  \nAccount holder: ${faker.person.fullName()}  \nAccount number: ****${faker.finance.accountNumber(4)}  \nStatement period: ${faker.date.past().toISOString().slice(0, 10)} to ${faker.date.recent().toISOString().slice(0, 10)}`);
      }
      table(
        ['Date', 'Description', 'Amount', 'Balance'],
        Array.from({ length: faker.number.int({ min: 5, max: 12 }) }, () => [
          faker.date.recent({ days: 30 }).toISOString().slice(0, 10),
          faker.finance.transactionDescription().slice(0, 60),
          `${faker.datatype.boolean() ? '-' : ''}$${money()}`,
          `$${money()}`,
        ]),
      );
      break;
    }
    case 'research-paper': {
      if (first) {
        title(doc.title ?? faker.lorem.sentence({ min: 4, max: 9 }).replace(/\.$/, ''));
        text(Array.from({ length: faker.number.int({ min: 2, max: 5 }) }, () => faker.person.fullName()).join(', '));
        title('Abstract', 2);
        text(faker.lorem.paragraph({ min: 4, max: 7 }));
      } else {
        title(`${page}. ${faker.lorem.words({ min: 2, max: 4 }).replace(/^\w/, (c) => c.toUpperCase())}`, 2);
        text(faker.lorem.paragraphs(2, '\n\n'));
        if (page % 3 === 0)
          table(['Model', 'BLEU', 'Params'], Array.from({ length: 3 }, () => [faker.word.noun(), faker.number.float({ min: 20, max: 45, fractionDigits: 1 }).toString(), `${faker.number.int({ min: 10, max: 400 })}M`]));
      }
      break;
    }
    case 'contract': {
      if (first) {
        title(doc.title ?? `${faker.helpers.arrayElement(['Master Services', 'Non-Disclosure', 'Supply', 'Lease'])} Agreement`);
        text(`This Agreement is entered into on ${faker.date.past().toISOString().slice(0, 10)} between **${faker.company.name()}** ("Provider") and **${faker.company.name()}** ("Client").`);
      }
      title(`Section ${page}. ${faker.helpers.arrayElement(['Definitions', 'Term', 'Payment', 'Confidentiality', 'Termination', 'Indemnification', 'Governing Law'])}`, 2);
      text(faker.lorem.paragraphs(2, '\n\n'));
      break;
    }
    case 'slide-deck': {
      title(`Slide ${page}: ${faker.company.catchPhrase()}`, 2);
      text(Array.from({ length: 3 }, () => `- ${faker.company.buzzPhrase()}`).join('\n'));
      break;
    }
    case 'spreadsheet': {
      title(`Sheet ${page}`, 2);
      table(
        ['Region', 'Q1', 'Q2', 'Q3', 'Q4'],
        Array.from({ length: 6 }, () => [faker.location.state(), money(), money(), money(), money()]),
      );
      break;
    }
    case 'image': {
      text(faker.lorem.sentences(2));
      blocks.push({ kind: 'Images', text: `![figure](page-${page}-image-1.png)` });
      break;
    }
    default: {
      if (first) title(doc.title ?? `${faker.company.name()} ${faker.helpers.arrayElement(['Annual Report', 'Quarterly Review', 'Project Summary'])}`);
      title(faker.company.catchPhrase(), 2);
      text(faker.lorem.paragraphs(2, '\n\n'));
    }
  }
  const footer = `Page ${page} of ${doc.totalPages}`;
  blocks.push({ kind: 'Footer', text: footer });

  const boxes: BoundingBoxes = { Text: [], Title: [], Tables: [], Images: [], Footer: [] };
  let y = 0.06;
  for (const b of blocks) {
    const lines = Math.max(1, Math.ceil(b.text.length / 90));
    const h = b.kind === 'Footer' ? 0.02 : Math.min(0.5, 0.018 * lines + 0.01);
    const top = b.kind === 'Footer' ? 0.95 : Math.min(y, 0.9);
    boxes[b.kind].push({ content: b.text, page_number: page, bounding_box: box(0.08, top, 0.92, top + h) });
    if (b.kind !== 'Footer') y = top + h + 0.015;
  }
  return { markdown: blocks.filter((b) => b.kind !== 'Footer').map((b) => b.text).join('\n\n'), boxes };
}

function box(x1: number, y1: number, x2: number, y2: number): number[] {
  return [x1, y1, x2, y1, x2, y2, x1, y2].map((n) => Math.round(n * 10000) / 10000);
}

function mergeBoxes(all: BoundingBoxes[]): BoundingBoxes {
  const out: BoundingBoxes = { Text: [], Title: [], Tables: [], Images: [], Footer: [] };
  for (const b of all) for (const k of Object.keys(out) as (keyof BoundingBoxes)[]) out[k].push(...b[k]);
  return out;
}

function chunk(pages: string[], types: ChunkType[], size: number): Partial<Record<ChunkType, string[]>> {
  const all = pages.join('\n\n');
  const paragraphs = all.split(/\n{2,}/).filter(Boolean);
  const out: Partial<Record<ChunkType, string[]>> = {};
  for (const t of types) {
    if (t === 'page') out.page = pages;
    else if (t === 'header') out.header = all.split(/\n(?=#{1,6} )/).map((s) => s.trim()).filter(Boolean);
    else if (t === 'semantic') out.semantic = pack(paragraphs, size, '\n\n');
    else out.recursive = pack(all.split(/(?<=[.!?])\s+|\n+/).filter(Boolean), size, ' ').flatMap((c) => hardSplit(c, size));
  }
  return out;
}

/** Greedily packs pieces into chunks of at most `size` characters (a piece longer than that stands alone). */
function pack(pieces: string[], size: number, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const p of pieces) {
    if (cur && cur.length + sep.length + p.length > size) {
      out.push(cur);
      cur = p;
    } else cur = cur ? cur + sep + p : p;
  }
  if (cur) out.push(cur);
  return out;
}

function hardSplit(s: string, size: number): string[] {
  if (s.length <= size) return [s];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}
