import { Type, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { route, type ApiCall, type OperationRoute } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobFileBytes, JobKind, PulseCore } from '../core/pulse-core.js';
import { SeededRandom, seedFrom } from '../core/random.js';
import { parseBoolean, parsePageRange } from './extract/request.js';
import { defineOperation } from './operation.js';
import { runOrSubmit, usage } from './stored.js';
import { textOf } from '../core/text.js';
import { parseFileUrl } from './extract/request.js';

/**
 * Forms: `POST /form/detect`, `/form/fill`, `/form/clear`. A form is one of a few kinds (intake,
 * application, claim, tax) with labelled text, checkbox and signature cells spread over its
 * pages, decided by its name and the seed (an uploaded PDF keeps its own page count). Each run
 * is a new form record (`form_id`, its job id) that the next call can name instead of a file,
 * and `GET /results/{jobId}/pdf` draws the run's form, with its values, as a real PDF (pdfkit,
 * loaded on first use).
 */
type CellType = 'text' | 'checkbox' | 'signature';
type FormOp = 'detect' | 'fill' | 'clear';

const FORMS: Record<string, [string, CellType][]> = {
  intake: [
    ['Patient name', 'text'],
    ['Date of birth', 'text'],
    ['Phone', 'text'],
    ['Email', 'text'],
    ['Address', 'text'],
    ['Insurance provider', 'text'],
    ['Policy number', 'text'],
    ['New patient', 'checkbox'],
    ['Has allergies', 'checkbox'],
    ['Patient signature', 'signature'],
  ],
  application: [
    ['Full name', 'text'],
    ['Date of birth', 'text'],
    ['Email', 'text'],
    ['Phone', 'text'],
    ['Address', 'text'],
    ['Position applied for', 'text'],
    ['Start date', 'text'],
    ['Authorized to work', 'checkbox'],
    ['Applicant signature', 'signature'],
  ],
  claim: [
    ['Claimant name', 'text'],
    ['Policy number', 'text'],
    ['Date of loss', 'text'],
    ['Claim amount', 'text'],
    ['Description of loss', 'text'],
    ['Police report filed', 'checkbox'],
    ['Claimant signature', 'signature'],
  ],
  tax: [
    ['Name', 'text'],
    ['Business name', 'text'],
    ['Taxpayer identification number', 'text'],
    ['Address', 'text'],
    ['City, state and ZIP', 'text'],
    ['Individual or sole proprietor', 'checkbox'],
    ['C corporation', 'checkbox'],
    ['Signature', 'signature'],
    ['Date', 'text'],
  ],
};

export interface FormJobData {
  name: string;
  formType: string;
  pageCount: number;
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
  type: CellType;
  page: number;
  box: number[];
}

/** The form's cells: its kind's labels, spread over its pages in order, each with a box. */
export function cellsOf(d: Pick<FormJobData, 'formType' | 'pageCount'>): Cell[] {
  const labels = FORMS[d.formType] ?? FORMS.intake!;
  const perPage = Math.ceil(labels.length / d.pageCount);
  return labels.map(([label, type], i) => {
    const page = Math.min(d.pageCount, Math.floor(i / perPage) + 1);
    const row = i % perPage;
    const y = 0.12 + row * 0.075;
    return { label, type, page, box: [0.12, round(y), type === 'checkbox' ? 0.15 : 0.6, round(y + 0.03)] };
  });
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

  result(job: Pick<JobRecord<FormJobData>, 'id' | 'data'>, baseUrl: string) {
    const d = job.data;
    const cells = cellsOf(d).filter((c) => d.pages.includes(c.page));
    return {
      form_id: job.id,
      page_count: d.pageCount,
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
    const { default: PDFDocument } = await import('../vendor/pdfkit.js');
    const doc = new PDFDocument({
      autoFirstPage: false,
      info: { Title: `${d.formType} form`, Producer: 'pulse-mock', CreationDate: new Date(job.createdAt) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
    const cells = cellsOf(d);
    for (let page = 1; page <= d.pageCount; page++) {
      doc.addPage({ size: 'LETTER' });
      if (page === 1)
        doc
          .fontSize(16)
          .text(`${d.formType[0]?.toUpperCase()}${d.formType.slice(1)} form: ${d.name}`)
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
  run(call: ApiCall<FormFields>, op: FormOp): FormJobData {
    const f = call.fields;
    const sources = [call.upload !== undefined, f.file_url !== undefined, f.form_id !== undefined].filter(
      Boolean,
    ).length;
    if (sources !== 1) throw errors.invalidParameter('file', 'Give exactly one of file, file_url and form_id.');
    let base: Omit<FormJobData, 'op' | 'changed' | 'warnings' | 'pages'>;
    if (f.form_id !== undefined) {
      const prev = this.core.jobs.get(textOf(f.form_id)) as JobRecord<FormJobData> | undefined;
      if (!prev || prev.kind !== this.kind) throw errors.notFoundById('form_id', textOf(f.form_id));
      if (prev.status !== 'completed') throw errors.runNotReady('form_id', textOf(f.form_id), prev.status);
      base = {
        name: prev.data.name,
        formType: prev.data.formType,
        pageCount: prev.data.pageCount,
        values: { ...prev.data.values },
      };
    } else {
      const name = call.upload?.filename ?? (parseFileUrl(f.file_url).lastSegment || 'form.pdf');
      if (call.upload && !/\.pdf$/i.test(name) && call.upload.mimetype !== 'application/pdf')
        throw errors.invalidParameter('file', `A form is a PDF; "${name}" is not.`);
      const random = new SeededRandom(
        seedFrom(this.core.options.seed, 'form', call.upload?.sha256 ?? String(f.file_url)),
      );
      const n = name.toLowerCase();
      const formType = /intake|patient|medical/.test(n)
        ? 'intake'
        : /applica|apply|job/.test(n)
          ? 'application'
          : /claim/.test(n)
            ? 'claim'
            : /tax|w-?9|1040/.test(n)
              ? 'tax'
              : random.pick(Object.keys(FORMS));
      const fromName = /[-_.](\d{1,3})-?p(?:ages?)?\.pdf$/i.exec(name)?.[1];
      const pageCount = Math.min(50, call.upload?.pdfPages ?? (fromName ? Number(fromName) : random.int(1, 2)));
      base = { name, formType, pageCount, values: {} };
    }
    const range = f.page_range ?? f.pages;
    const pages =
      range === undefined
        ? Array.from({ length: base.pageCount }, (_, i) => i + 1)
        : parsePageRange(range).filter((p) => p <= base.pageCount);
    const cells = cellsOf(base).filter((c) => pages.includes(c.page));
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
    handle: (call, formOp: FormOperation) => {
      const async = call.fields.async === undefined ? false : parseBoolean(call.fields.async, 'async');
      const data = formOp.run(call, op);
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
