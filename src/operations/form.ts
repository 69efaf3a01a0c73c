import { Type, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { route, type ApiCall, type OperationRoute } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobFileBytes, JobKind, PulseCore } from '../core/pulse-core.js';
import { SeededRandom, seedFrom } from '../core/random.js';
import { FORM_KINDS, formKindFromName, type DocumentInfo } from '../core/documents.js';
import type { FieldType } from '../core/document-model.js';
import { overridesFrom } from '../core/overrides.js';
import type { ExtractOperation } from './extract/index.js';
import { normalizeExtractRequest, parseBoolean, parsePageRange } from './extract/request.js';
import { defineOperation, operationOf } from './operation.js';
import { runOrSubmit, usage } from './stored.js';
import { textOf } from '../core/text.js';
import { parseFileUrl } from './extract/request.js';

/**
 * Forms: `POST /form/detect`, `/form/fill`, `/form/clear`. A form is a document of the one
 * document model, of a form kind (intake, application, claim, tax): its fields are blocks the
 * model lays out, on pages the document catalog counts as it counts an extract's (an upload's own
 * pages, `x-pulse-mock-pages`, a document rule, a `-Np` name), so `/extract` of the same file
 * reads the same fields. On the wire a field keeps Pulse's 4-number `FormCell` box, taken from
 * the block's outline. Each run is a new form record (`form_id`, its job id) that the next call
 * can name instead of a file, and `GET /results/{jobId}/pdf` draws the run's form, with its
 * values, as a real PDF (pdfkit, loaded on first use).
 */
type FormOp = 'detect' | 'fill' | 'clear';

/** Pages a form run covers at most: each is drawn in the run's PDF. */
const MAX_FORM_PAGES = 50;

export interface FormJobData {
  name: string;
  /** The form as a document of the model: its form kind and pages. Absent in a 0.3 journal's runs. */
  document?: DocumentInfo;
  /** The seed of its model. */
  seed?: number;
  /** 0.3's journal: the form's kind (`intake`, ...) and page count. */
  formType?: string;
  pageCount?: number;
  /** Pages the run covered (`page_range`), or all. */
  pages: number[];
  /** Values by cell label: text, or a checkbox's state. */
  values: Record<string, string | boolean>;
  op: FormOp;
  changed: number;
  warnings: string[];
}

interface Cell {
  label: string;
  type: FieldType;
  page: number;
  /** Pulse's FormCell box: [x1, y1, x2, y2], fractions of the page. */
  box: number[];
}

/** The form's document (a 0.3 run's rebuilt from its kind and page count). */
function documentOf(d: FormJobData): DocumentInfo {
  if (d.document) return d.document;
  const totalPages = d.pageCount ?? 1;
  const kind = FORM_KINDS.find((k) => k === `${d.formType}-form`) ?? 'intake-form';
  return { name: d.name, kind, totalPages, pages: Array.from({ length: totalPages }, (_, i) => i + 1) };
}

/** The form's cells: its model's field blocks, every page's, with their boxes as Pulse's 4 numbers. */
export async function cellsOf(d: FormJobData): Promise<Cell[]> {
  const { buildDocumentModel } = await import('../core/document-model.js');
  const info = documentOf(d);
  const all = { ...info, pages: Array.from({ length: info.totalPages }, (_, i) => i + 1) };
  return buildDocumentModel(all, d.seed ?? 0).blocks.flatMap((b) =>
    b.field ? [{ label: b.field.label, type: b.field.type, page: b.page, box: rectOf(b.box) }] : [],
  );
}

/** An outline's 8 numbers (4 corners) as the rectangle around them, [x1, y1, x2, y2]. */
function rectOf(poly: number[]): number[] {
  const xs = poly.filter((_, i) => i % 2 === 0);
  const ys = poly.filter((_, i) => i % 2 === 1);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
const round = (n: number) => Math.round(n * 10000) / 10000;

const normalize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/**
 * `instructions` as clauses: separated by semicolons, new lines, "and", or commas not inside a
 * * number, or a full stop; each `<label> is|as|to|:|= <value>` (a leading "fill in", "set", "enter" ... is
 * dropped), or `check|tick|uncheck <label>` for a checkbox.
 */
export function parseInstructions(instructions: string): { label: string; value?: string | boolean; clause: string }[] {
  const clauses = instructions
    .split(/[;\n]|\.\s+|,(?!\d)|\band\b/i)
    .map((c) => c.trim().replace(/[.]+$/, ''))
    .filter(Boolean);
  return clauses.flatMap((clause): { label: string; value?: string | boolean; clause: string }[] => {
    const box = /^(check|tick|select|mark|uncheck|untick|clear)\s+(?:the\s+)?(.+?)(?:\s+box)?$/i.exec(clause);
    if (box) return [{ label: box[2] as string, value: !/^un|^clear/i.test(box[1] as string), clause }];
    const m =
      /^(?:please\s+)?(?:(?:fill(?:\s+in)?|set|enter|put|write)\s+)?(?:the\s+)?(.+?)\s*(?:\s(?:is|as|to)\s|:|=)\s*(.+)$/i.exec(
        clause,
      );
    // A bare label names a field without a value (what `clear` takes).
    return m
      ? [{ label: m[1] as string, value: (m[2] as string).trim(), clause }]
      : [{ label: clause.replace(/^(?:clear|empty|erase|remove)\s+(?:the\s+)?/i, ''), clause }];
  });
}

/** The cell a clause's label names: the same words, or one label containing the other. */
function cellFor(cells: Cell[], label: string): Cell | undefined {
  const l = normalize(label);
  if (!l) return undefined;
  return (
    cells.find((c) => normalize(c.label) === l) ??
    cells.find((c) => normalize(c.label).includes(l) || l.includes(normalize(c.label)))
  );
}

export class FormOperation implements JobKind<FormJobData> {
  readonly kind = 'form';
  constructor(readonly core: PulseCore) {}

  async result(job: Pick<JobRecord<FormJobData>, 'id' | 'data'>, baseUrl: string) {
    const d = job.data;
    const cells = (await cellsOf(d)).filter((c) => d.pages.includes(c.page));
    return {
      form_id: job.id,
      page_count: documentOf(d).totalPages,
      pdf_url: `${baseUrl}/results/${job.id}/pdf`,
      form_fields: cells.map((c) => {
        const v = d.values[c.label];
        return {
          page_number: c.page,
          bounding_box: c.box,
          text: c.type === 'checkbox' ? (v === true ? 'X' : '') : typeof v === 'string' ? v : '',
          type: c.type,
          ...(c.type === 'checkbox'
            ? {
                checkbox_details: [
                  {
                    center_coord: [round((c.box[0]! + c.box[2]!) / 2), round((c.box[1]! + c.box[3]!) / 2)],
                    selected: v === true,
                    text: c.label,
                  },
                ],
              }
            : {}),
          label: c.label,
        };
      }),
      ...(d.op === 'fill' ? { fields_filled: d.changed } : d.op === 'clear' ? { fields_cleared: d.changed } : {}),
      ...(d.warnings.length ? { warnings: d.warnings } : {}),
      ...usage(d.pages.length * (d.op === 'detect' ? 1 : 3), d.pages.length),
    };
  }

  /** Its one file, `pdf` (`GET /results/{jobId}/pdf`): the run's form with its values, a page per page of the form. */
  async file(job: JobRecord<FormJobData>, name: string): Promise<JobFileBytes | undefined> {
    if (name !== 'pdf' || job.status !== 'completed') return undefined;
    const d = job.data;
    const info = documentOf(d);
    const title = `${info.title ?? info.kind.replace('-form', '')} form`;
    const { default: PDFDocument } = await import('../vendor/pdfkit.js');
    const doc = new PDFDocument({
      autoFirstPage: false,
      info: { Title: title, Producer: 'pulse-mock', CreationDate: new Date(job.createdAt) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
    const cells = await cellsOf(d);
    for (let page = 1; page <= info.totalPages; page++) {
      doc.addPage({ size: 'LETTER' });
      if (page === 1)
        doc
          .fontSize(16)
          .text(`${title[0]?.toUpperCase()}${title.slice(1)}: ${d.name}`)
          .moveDown();
      for (const c of cells.filter((x) => x.page === page)) {
        const v = d.values[c.label];
        const shown =
          c.type === 'checkbox'
            ? `[${v === true ? 'X' : ' '}] ${c.label}`
            : `${c.label}: ${typeof v === 'string' ? v : '____________'}`;
        doc.fontSize(11).text(shown, 612 * c.box[0]!, 792 * c.box[1]!);
      }
    }
    doc.end();
    await ended;
    const bytes = Buffer.concat(chunks);
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: 'application/pdf' };
  }

  /** One form run: the form from a file, a URL or a previous run, and what the operation does to its values. */
  async run(call: ApiCall<FormFields>, op: FormOp): Promise<FormJobData> {
    const f = call.fields;
    const sources = [call.upload !== undefined, f.file_url !== undefined, f.form_id !== undefined].filter(
      Boolean,
    ).length;
    if (sources !== 1) throw errors.invalidParameter('file', 'Give exactly one of file, file_url and form_id.');
    let base: Pick<FormJobData, 'name' | 'values'> & { document: DocumentInfo; seed: number };
    if (f.form_id !== undefined) {
      const prev = this.core.jobs.get(textOf(f.form_id)) as JobRecord<FormJobData> | undefined;
      if (!prev || prev.kind !== this.kind) throw errors.notFoundById('form_id', textOf(f.form_id));
      if (prev.status !== 'completed') throw errors.runNotReady('form_id', textOf(f.form_id), prev.status);
      base = {
        name: prev.data.name,
        document: documentOf(prev.data),
        seed: prev.data.seed ?? 0,
        values: { ...prev.data.values },
      };
    } else {
      const name = call.upload?.filename ?? (parseFileUrl(f.file_url).lastSegment || 'form.pdf');
      if (call.upload && !/\.pdf$/i.test(name) && call.upload.mimetype !== 'application/pdf')
        throw errors.invalidParameter('file', `A form is a PDF; "${name}" is not.`);
      const seed = seedFrom(this.core.options.seed, 'form', call.upload?.sha256 ?? String(f.file_url));
      // Counted as an extract counts it (the upload's own pages, the header, a rule, a -Np name).
      const req = normalizeExtractRequest(f.file_url !== undefined ? { file_url: f.file_url } : {}, call.upload);
      // The form kind its name says, else one drawn from the seed (a document rule's kind wins).
      const hint = formKindFromName(name) ?? new SeededRandom(seed).pick(FORM_KINDS);
      const overrides = overridesFrom(call.header);
      const described = operationOf<ExtractOperation>(call, 'extract').describeDocument(
        req,
        overrides.pages,
        hint,
        overrides.facts,
      );
      const kind = (FORM_KINDS as readonly string[]).includes(described.kind) ? described.kind : hint;
      const totalPages = Math.min(MAX_FORM_PAGES, described.totalPages);
      const pages = Array.from({ length: totalPages }, (_, i) => i + 1);
      base = { name, document: { ...described, kind, totalPages, pages }, seed, values: {} };
    }
    const pageCount = base.document.totalPages;
    const range = f.page_range ?? f.pages;
    const pages =
      range === undefined
        ? Array.from({ length: pageCount }, (_, i) => i + 1)
        : parsePageRange(range).filter((p) => p <= pageCount);
    const cells = (await cellsOf({ ...base, pages, op, changed: 0, warnings: [] })).filter((c) =>
      pages.includes(c.page),
    );
    const instructions = f.instructions === undefined ? undefined : textOf(f.instructions);
    if (op === 'fill' && !instructions?.trim())
      throw errors.invalidParameter(
        'instructions',
        'fill needs instructions, e.g. "Patient name is Jane Doe; check New patient".',
      );
    const warnings: string[] = [];
    let changed = 0;
    if (op === 'detect') return { ...base, pages, op, changed, warnings };
    if (op === 'clear' && !instructions) {
      for (const c of cells)
        if (c.label in base.values) {
          delete base.values[c.label];
          changed++;
        }
      return { ...base, pages, op, changed, warnings };
    }
    for (const clause of parseInstructions(instructions as string)) {
      const cell = cellFor(cells, clause.label);
      if (!cell || (op === 'fill' && clause.value === undefined)) {
        warnings.push(`No field matches "${clause.clause}".`);
        continue;
      }
      if (op === 'clear') {
        if (cell.label in base.values) delete base.values[cell.label];
      } else
        base.values[cell.label] =
          cell.type === 'checkbox'
            ? typeof clause.value === 'boolean'
              ? clause.value
              : !/^(no|false|unchecked|off)$/i.test(String(clause.value))
            : String(clause.value);
      changed++;
    }
    return { ...base, pages, op, changed, warnings };
  }
}

const fields = {
  file_url: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
  form_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
  instructions: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
  form_fields: Type.Optional(
    Type.Union([
      Type.String({ maxLength: LIMITS.jsonOptionLength }),
      Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 500 }),
    ]),
  ),
  page_range: Type.Optional(Type.String({ maxLength: LIMITS.optionLength })),
  pages: Type.Optional(Type.String({ maxLength: LIMITS.optionLength })),
  async: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 5 })])),
};
const FormBody = {
  content: {
    'multipart/form-data': {
      schema: Type.Object({ ...fields, file: Type.Optional(Type.String()) }, { additionalProperties: false }),
    },
    'application/json': { schema: Type.Object(fields, { additionalProperties: false }) },
  },
};
/** A form call's fields, JSON or multipart (where every field is a string). */
type FormFields = Static<(typeof FormBody.content)[keyof typeof FormBody.content]['schema']>;

const formRoute = (op: FormOp, summary: string): OperationRoute<FormOperation> =>
  route({
    method: 'POST',
    path: `/form/${op}`,
    route: `form-${op}`,
    readsBody: true,
    schema: {
      summary,
      tags: ['forms'],
      consumes: ['multipart/form-data', 'application/json'],
      body: FormBody,
      response: {
        200: Type.Object({}, { additionalProperties: true }),
        202: Type.Object({}, { additionalProperties: true }),
      },
    },
    handle: async (call, formOp: FormOperation) => {
      const async = call.fields.async === undefined ? false : parseBoolean(call.fields.async, 'async');
      const data = await formOp.run(call, op);
      return runOrSubmit<FormJobData>(
        formOp.core,
        formOp.kind,
        { ...call, fields: { ...call.fields, async } },
        { candidates: [data.name], data, pages: data.pages.length },
        // Forms answer an async submission with 202, as Pulse's form pages say.
        (accepted) => ({ ...accepted, status: 202 }),
      );
    },
  });

export const formOperation = defineOperation({
  kind: 'form',
  create: (core) => new FormOperation(core),
  routes: [
    formRoute('detect', 'Find the fillable cells of a form (PDF upload, file_url or form_id)'),
    formRoute('fill', 'Fill a form from natural-language instructions'),
    formRoute('clear', 'Clear what was filled in (all of it, or the fields instructions name)'),
    route({
      method: 'GET',
      path: '/results/:jobId/pdf',
      route: 'results-pdf',
      readsBody: false,
      schema: {
        summary: 'Download the PDF a form run produced (FormResult.pdf_url)',
        tags: ['forms'],
        params: Type.Object({ jobId: Type.String({ minLength: 1, maxLength: LIMITS.idLength }) }),
        response: { 200: Type.String({ contentMediaType: 'application/pdf' }) },
      },
      handle: (call, _op: FormOperation) => call.core.file(call.params.jobId, 'pdf'),
    }),
  ],
});
