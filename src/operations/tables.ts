import { Type, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';

import type { DocumentModel } from '../core/document-model.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import { route } from '../api/contract.js';
import { BatchIds, batchCapability, batchChild, defineOperation } from './operation.js';
import { modelOf, runOrSubmit, storedExtraction, usage, type ExtractionRef } from './stored.js';

/**
 * `POST /tables`: the tables of a stored extraction, from its document model's own tables
 * (citations are their `tbl-N` ids), continuations merged across pages when asked, and charts
 * turned into tables when asked. The run is kept under `tables_id` (also its job id).
 */
export interface TablesJobData extends ExtractionRef {
  merge: boolean;
  format: 'html' | 'json';
  charts: boolean;
}

interface FoundTable {
  headers: string[];
  rows: string[][];
  citations: string[];
  fromChart: boolean;
}

/** The document's tables in reading order; with `merge`, a table continuing the one before (same headers, next page) joins it. */
export function tablesOf(model: DocumentModel, merge: boolean, charts: boolean): FoundTable[] {
  const out: (FoundTable & { lastPage: number })[] = [];
  for (const b of model.blocks) {
    let t: FoundTable | undefined;
    if (b.table) t = { headers: b.table.headers, rows: b.table.rows, citations: [b.id], fromChart: false };
    else if (charts && b.figure?.visual === 'chart')
      t = {
        headers: ['Label', 'Value'],
        rows: b.figure.bars.map((bar) => [bar.label, String(bar.value)]),
        citations: [b.id],
        fromChart: true,
      };
    if (!t) continue;
    const prev = out.at(-1);
    if (
      merge &&
      prev &&
      !t.fromChart &&
      !prev.fromChart &&
      prev.headers.join('\u0000') === t.headers.join('\u0000') &&
      b.page === prev.lastPage + 1
    ) {
      prev.rows = [...prev.rows, ...t.rows];
      prev.citations = [...prev.citations, b.id];
      prev.lastPage = b.page;
    } else out.push({ ...t, lastPage: b.page });
  }
  return out.map(({ lastPage: _p, ...t }) => t);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const html = (t: FoundTable) =>
  `<table><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const json = (t: FoundTable) => ({
  headers: t.headers,
  rows: t.rows.map((r) => Object.fromEntries(t.headers.map((h, i) => [h, r[i] ?? '']))),
});

export class TablesOperation implements JobKind<TablesJobData> {
  readonly kind = 'tables';
  constructor(readonly core: PulseCore) {}

  async result(job: JobRecord<TablesJobData>) {
    const d = job.data;
    const tables = tablesOf(await modelOf(d), d.merge, d.charts);
    // Docs' price list: 0.25 a table (0.5 merged), and 1 more per chart turned into one.
    const credits = tables.reduce((n, t) => n + (d.merge ? 0.5 : 0.25) + (t.fromChart ? 1 : 0), 0);
    return {
      tables_id: job.id,
      tables_output: {
        tables: tables.map((t) => ({
          table_content: d.format === 'json' ? json(t) : html(t),
          citations: t.citations,
          from_chart: t.fromChart,
        })),
      },
      ...usage(credits, d.document.pages.length),
    };
  }
}

const TablesConfig = Type.Object(
  {
    merge: Type.Optional(Type.Boolean()),
    table_format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('json')])),
    charts_to_tables: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A tables run's recipe from its extraction and `tables_config`. */
const tablesData = (ref: ExtractionRef, c: Static<typeof TablesConfig> = {}): TablesJobData => ({
  ...ref,
  merge: c.merge ?? false,
  format: c.table_format ?? 'html',
  charts: c.charts_to_tables ?? false,
});

export const tablesOperation = defineOperation({
  kind: 'tables',
  create: (core) => new TablesOperation(core),
  routes: [
    route({
      method: 'POST',
      path: '/tables',
      route: 'tables',
      readsBody: true,
      schema: {
        summary: 'Reconstruct the tables of a stored extraction, as html or json (sync, or async with async=true)',
        tags: ['tables'],
        body: {
          content: {
            'application/json': {
              schema: Type.Object(
                {
                  extraction_id: Type.String({ minLength: 1, maxLength: LIMITS.idLength }),
                  tables_config: Type.Optional(TablesConfig),
                  async: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            },
          },
        },
        response: {
          200: Type.Union([
            Type.Object({ job_id: Type.String(), tables_id: Type.String() }, { additionalProperties: true }),
            Type.Object({ tables_id: Type.String() }, { additionalProperties: true }),
          ]),
        },
      },
      handle: async (call, op: TablesOperation) => {
        const f = call.fields;
        const ref = storedExtraction(call, f.extraction_id);
        const data = tablesData(ref, f.tables_config);
        return runOrSubmit<TablesJobData>(
          op.core,
          op.kind,
          call,
          { candidates: [ref.document.name], data, pages: ref.document.pages.length },
          // Documented as returning a tables_id to poll: the job id is both.
          (accepted) => ({ ...accepted, body: { ...accepted.body, tables_id: accepted.body.job_id } }),
        );
      },
    }),
  ],
  batch: batchCapability({
    total: 'total_extractions',
    properties: {
      batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
      extraction_ids: Type.Optional(BatchIds),
      tables_config: Type.Optional(TablesConfig),
    },
    items: (call, op: TablesOperation, batch) => {
      const refs = batch.extractions(call);
      return {
        children: refs.map((r) =>
          batchChild<TablesJobData>(
            op.kind,
            r.document.name,
            tablesData(r, call.fields.tables_config),
            r.document.pages.length,
          ),
        ),
        inputs: refs.map((r) => r.extractionId),
      };
    },
    resultId: (child) => ({ tables_id: child.id }),
  }),
  pipelineSteps: [
    {
      name: 'tables',
      follows: ['extract'],
      plans: () => ({}),
      requests: (config, _fileUrl, made) => [
        { path: '/tables', fields: { extraction_id: made.extractionId, tables_config: config } },
      ],
      collect: ([body]) => ({ name: 'tables', jobId: body?.tables_id as string }),
    },
  ],
});
