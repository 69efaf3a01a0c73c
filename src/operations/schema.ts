import { Type, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { AsyncSubmissionResponse } from '../api/schemas.js';
import type { DocumentModel } from '../core/document-model.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobFileBytes, JobKind, PulseCore } from '../core/pulse-core.js';
import { route, type ApiCall } from '../api/contract.js';
import { BatchIds, batchCapability, batchChild, defineOperation, operationOf, presetOf } from './operation.js';
import type { BatchOperation } from './batch.js';
import type { SplitOperation } from './split.js';
import { modelOf, runOrSubmit, storedExtraction, usage, type ExtractionRef } from './stored.js';
import { textOf } from '../core/text.js';
import { readTemplateRows, XlsxTemplateError } from './xlsx-template.js';

/**
 * `POST /schema`: a JSON Schema applied to stored content, read from the same document model as
 * the extraction (values, and citations to its blocks). Single mode (one extraction), multi mode
 * (several, merged; citations read `extraction_id-blockid`) and split mode (per topic, reading
 * only the topic's pages). Each run is kept under `schema_id`, with a version counted per
 * extraction.
 */
type Mode =
  | { mode: 'single'; extraction: ExtractionRef; schema: Record<string, unknown>; excel?: { headers: string[] } }
  | { mode: 'multi'; extractions: ExtractionRef[]; schema: Record<string, unknown> }
  | {
      mode: 'split';
      splitId: string;
      extraction: ExtractionRef;
      topics: Record<string, { schema: Record<string, unknown>; pages: number[] }>;
    };

export type SchemaJobData = Mode & { version: number; effort: boolean };

const loadStructured = () => import('./extract/structured-output.js');

/** Several extractions' models as one: blocks and facts of each, ids prefixed with their extraction's. */
function merged(models: { id: string; model: DocumentModel }[]): DocumentModel {
  const first = models[0]?.model as DocumentModel;
  const p = (id: string, b: string) => `${id}-${b}`;
  return {
    info: first.info,
    blocks: models.flatMap(({ id, model }) => model.blocks.map((b) => ({ ...b, id: p(id, b.id) }))),
    facts: models.flatMap(({ id, model }) => model.facts.map((f) => ({ ...f, blocks: f.blocks.map((b) => p(id, b)) }))),
    structures: models.flatMap(({ id, model }) =>
      model.structures.map((s) => ({ ...s, blocks: s.blocks.map((b) => p(id, b)) })),
    ),
    lists: models.flatMap(({ id, model }) => model.lists.map((l) => ({ ...l, blocks: l.blocks.map((b) => p(id, b)) }))),
  };
}

export class SchemaOperation implements JobKind<SchemaJobData> {
  readonly kind = 'schema';
  constructor(readonly core: PulseCore) {}

  async result(job: JobRecord<SchemaJobData>) {
    const d = job.data;
    const { generateStructuredOutput } = await loadStructured();
    const perPage = d.effort ? 4 : 1;
    if (d.mode === 'split') {
      const results: Record<string, { values: unknown; citations: unknown }> = {};
      const errorsByTopic: Record<string, string> = {};
      let pages = 0;
      for (const [topic, t] of Object.entries(d.topics)) {
        pages += t.pages.length;
        const out = generateStructuredOutput(t.schema, d.extraction.seed, await modelOf(d.extraction, t.pages));
        if (out.ok) results[topic] = { values: out.values, citations: out.citations };
        else errorsByTopic[topic] = out.schema_error;
      }
      return {
        schema_id: job.id,
        split_id: d.splitId,
        results,
        input_schemas: Object.fromEntries(Object.entries(d.topics).map(([k, t]) => [k, t.schema])),
        ...(Object.keys(errorsByTopic).length ? { errors: errorsByTopic } : {}),
        ...usage(pages * perPage, pages),
      };
    }
    const refs = d.mode === 'single' ? [d.extraction] : d.extractions;
    const model =
      d.mode === 'single'
        ? await modelOf(d.extraction)
        : merged(await Promise.all(refs.map(async (r) => ({ id: r.extractionId, model: await modelOf(r) }))));
    const out = generateStructuredOutput(d.schema, refs[0]?.seed ?? 0, model);
    if (!out.ok) throw errors.invalidParameter('schema_config.input_schema', out.schema_error);
    const pages = refs.reduce((n, r) => n + r.document.pages.length, 0);
    return {
      schema_id: job.id,
      version: d.version,
      schema_output: { values: out.values, citations: out.citations },
      ...(d.mode === 'multi' ? { extraction_ids: refs.map((r) => r.extractionId) } : {}),
      ...(d.mode === 'single' && d.excel ? { excel_output_url: `/schema/${job.id}/excel` } : {}),
      ...usage(pages * perPage, pages),
    };
  }

  /**
   * `GET /schema/{schemaId}/excel`: the template's header row and a row of the run's values, as
   * a real .xlsx (write-excel-file, loaded on first use). 404 for another id or a run without a template.
   */
  /** Its one file, `excel` (`GET /schema/{schemaId}/excel`): a run with an Excel template, its values filled in. */
  async file(job: JobRecord<SchemaJobData>, name: string): Promise<JobFileBytes | undefined> {
    const schemaId = job.id;
    if (name !== 'excel' || job.data.mode !== 'single' || !job.data.excel)
      throw errors.notFoundById('schema_id', schemaId);
    if (job.status !== 'completed') throw errors.runNotReady('schema_id', schemaId, job.status);
    const { headers } = job.data.excel;
    const out = await this.result(job);
    const values = ('schema_output' in out ? out.schema_output.values : {}) as Record<string, unknown>;
    const { writeXlsxFile } = await import('../vendor/excel.js');
    const cell = (v: unknown) => ({
      value: typeof v === 'number' ? v : v === undefined || v === null ? '' : textOf(v),
    });
    const bytes = await writeXlsxFile([
      headers.map((h) => ({ value: h, fontWeight: 'bold' as const })),
      headers.map((h) => cell(values[h])),
    ]).toBuffer();
    return {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      downloadName: `${schemaId}.xlsx`,
    };
  }

  /** The next version for a schema run over this extraction: 1, 2, ... (counted over the runs kept). */
  nextVersion(extractionId: string): number {
    return this.recordVersion(extractionId, ((this.#versions ??= this.#keptVersions()).get(extractionId) ?? 0) + 1);
  }

  /** Notes a run of `version` over this extraction (a split-mode run is version 1 and counts too). */
  recordVersion(extractionId: string, version: number): number {
    const versions = (this.#versions ??= this.#keptVersions());
    const last = Math.max(version, versions.get(extractionId) ?? 0);
    versions.delete(extractionId); // re-inserted last: the oldest entries are the ones dropped
    versions.set(extractionId, last);
    if (versions.size > this.core.options.maxJobs * 2) versions.delete(versions.keys().next().value as string);
    return version;
  }

  /**
   * The last version of each extraction's schema runs, counted here from the first run on: one
   * scan of the kept jobs (those restored from --state) when first asked, then a map lookup
   * (the scan on every run cost as much as the rest of the run in a long session). Bounded as
   * the extraction index is: past twice --max-jobs extractions, the least recently run is
   * forgotten, and its next run counts from the jobs still kept.
   */
  #versions: Map<string, number> | undefined;
  #keptVersions(): Map<string, number> {
    const out = new Map<string, number>();
    for (const j of this.core.jobs.list()) {
      if (j.kind !== this.kind) continue;
      const data = j.data as SchemaJobData;
      const id = data.mode === 'multi' ? data.extractions[0]?.extractionId : data.extraction.extractionId;
      if (id !== undefined) out.set(id, Math.max(out.get(id) ?? 0, data.version));
    }
    return out;
  }
}

type SchemaConfig = {
  input_schema?: Record<string, unknown>;
  excel_template?: string;
  schema_prompt?: string;
  effort?: boolean;
};

async function schemaFrom(
  config: SchemaConfig | undefined,
  field: string,
): Promise<{ schema: Record<string, unknown>; excel?: { headers: string[] } }> {
  if (!config) throw errors.invalidParameter(field, `${field} is required: give an input_schema or an excel_template.`);
  if (config.excel_template !== undefined && config.input_schema !== undefined)
    throw errors.invalidParameter(field, `Give one of ${field}.input_schema and ${field}.excel_template, not both.`);
  if (config.excel_template !== undefined) return excelTemplate(config.excel_template, `${field}.excel_template`);
  if (!config.input_schema) throw errors.invalidParameter(field, `${field}.input_schema is required.`);
  return { schema: config.input_schema };
}

/**
 * Excel template mode: the template's first row names the columns, each a property of the schema
 * (a number where the second row holds one, else a string). Read with bounds (xlsx-template.ts):
 * only the first two rows, and no part larger than XLSX_ENTRY_CAP, however it is packed.
 */
function excelTemplate(
  base64: string,
  field: string,
): { schema: Record<string, unknown>; excel: { headers: string[] } } {
  let rows: [unknown[], unknown[]];
  try {
    rows = readTemplateRows(Buffer.from(base64, 'base64'));
  } catch (e) {
    const why = e instanceof XlsxTemplateError ? e.message : `it cannot be read (${(e as Error).message})`;
    throw errors.invalidParameter(field, `${field} is not a usable .xlsx template (base64): ${why}.`);
  }
  const headers = Array.from(rows[0], (h) => (h === null || h === undefined ? '' : textOf(h).trim())).filter(Boolean);
  if (headers.length === 0)
    throw errors.invalidParameter(field, `${field} has no header row: its first row should name the columns to fill.`);
  if (headers.length > 200)
    throw errors.invalidParameter(field, `${field} has ${headers.length} columns; at most 200.`);
  const long = headers.find((h) => h.length > LIMITS.optionLength);
  if (long !== undefined)
    throw errors.invalidParameter(
      field,
      `${field} has a column name of ${long.length} characters; at most ${LIMITS.optionLength}.`,
    );
  const sample = rows[1];
  const properties = Object.fromEntries(
    headers.map((h, i) => [h, { type: typeof sample[i] === 'number' ? 'number' : 'string' }]),
  );
  return { schema: { type: 'object', properties, required: headers }, excel: { headers } };
}

async function modeOf(call: ApiCall<Static<typeof SchemaBody>>, core: PulseCore): Promise<Mode> {
  const f = call.fields;
  const given = [f.extraction_id !== undefined, f.extraction_ids !== undefined, f.split_id !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1)
    throw errors.invalidParameter('extraction_id', 'Give exactly one of extraction_id, extraction_ids and split_id.');
  if (f.schema_config_id !== undefined && f.schema_config !== undefined)
    throw errors.invalidParameter('schema_config', 'Give one of schema_config and schema_config_id, not both.');
  const config = f.schema_config_id !== undefined ? presetOf(core, schemaPresets, f.schema_config_id) : f.schema_config;
  if (f.split_id !== undefined) {
    if (!f.split_schema_config)
      throw errors.invalidParameter(
        'split_schema_config',
        'Split mode (split_id) needs split_schema_config: a schema per topic.',
      );
    const split = await operationOf<SplitOperation>(call, 'split').split(f.split_id);
    const topics: Record<string, { schema: Record<string, unknown>; pages: number[] }> = {};
    for (const [topic, config] of Object.entries(f.split_schema_config)) {
      if (!(topic in split.splits))
        throw errors.invalidParameter(
          'split_schema_config',
          `"${topic}" is not a topic of split ${f.split_id}; its topics are ${Object.keys(split.splits)
            .map((t) => `"${t}"`)
            .join(', ')}.`,
        );
      const schema =
        config.schema_config_id !== undefined
          ? presetOf(core, schemaPresets, config.schema_config_id).input_schema
          : config.schema;
      if (!schema)
        throw errors.invalidParameter(
          `split_schema_config.${topic}.schema`,
          `Topic "${topic}" needs a schema or a schema_config_id.`,
        );
      topics[topic] = { schema, pages: split.splits[topic] as number[] };
    }
    const { topics: _t, ...extraction } = split.data;
    return { mode: 'split', splitId: f.split_id, extraction, topics };
  }
  if (f.split_schema_config !== undefined)
    throw errors.invalidParameter('split_schema_config', 'split_schema_config goes with split_id.');
  const { schema, excel } = await schemaFrom(config, 'schema_config');
  if (f.extraction_ids !== undefined) {
    if (excel)
      throw errors.invalidParameter('schema_config.excel_template', 'Excel template mode takes one extraction_id.');
    return { mode: 'multi', extractions: f.extraction_ids.map((id) => storedExtraction(call, id)), schema };
  }
  // A batch extract's id stands for its extractions (multi mode), as Pulse's docs say.
  if (core.jobs.get(String(f.extraction_id))?.kind === 'batch' && !excel) {
    const ids = operationOf<BatchOperation>(call, 'batch').extractionsOf(String(f.extraction_id));
    if (ids.length === 0) throw errors.extractionNotFound(String(f.extraction_id));
    // The same cap as extraction_ids (multi mode reads at most this many).
    if (ids.length > MULTI_MAX)
      throw errors.invalidParameter(
        'extraction_id',
        `The batch ${String(f.extraction_id)} has ${ids.length} extractions; multi mode reads at most ${MULTI_MAX}: give up to ${MULTI_MAX} of them as extraction_ids.`,
      );
    return { mode: 'multi', extractions: ids.map((id) => storedExtraction(call, id)), schema };
  }
  return { mode: 'single', extraction: storedExtraction(call, f.extraction_id), schema, ...(excel ? { excel } : {}) };
}

/** `schema_config_id`: saved schemas (presets of kind `schema`). */
const schemaPresets = {
  kind: 'schema',
  field: 'schema_config_id',
  schema: Type.Object(
    {
      input_schema: Type.Object({}, { additionalProperties: true }),
      schema_prompt: Type.Optional(Type.String()),
      effort: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
};

/** Extractions one multi-mode schema run reads at most (extraction_ids, or a batch's). */
const MULTI_MAX = 100;

const ConfigSchema = Type.Object(
  {
    input_schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
    excel_template: Type.Optional(Type.String()),
    schema_prompt: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
    effort: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** `POST /schema`'s body. */
const SchemaBody = Type.Object(
  {
    extraction_id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
    extraction_ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), {
        minItems: 1,
        maxItems: MULTI_MAX,
      }),
    ),
    split_id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
    schema_config: Type.Optional(ConfigSchema),
    schema_config_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
    split_schema_config: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          {
            schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
            schema_prompt: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
            effort: Type.Optional(Type.Boolean()),
            schema_config_id: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        { maxProperties: 100 },
      ),
    ),
    async: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const schemaOperation = defineOperation({
  kind: 'schema',
  create: (core) => new SchemaOperation(core),
  routes: [
    route({
      method: 'POST',
      path: '/schema',
      route: 'schema',
      readsBody: true,
      // schema_config.excel_template carries an .xlsx as base64.
      jsonCarriesFiles: true,
      schema: {
        summary: 'Apply a JSON Schema to stored extractions or a split (sync, or async with async=true)',
        tags: ['schema'],
        body: {
          content: {
            'application/json': {
              schema: SchemaBody,
            },
          },
        },
        response: {
          200: Type.Union([
            AsyncSubmissionResponse,
            Type.Object({ schema_id: Type.String() }, { additionalProperties: true }),
          ]),
        },
      },
      handle: async (call, op: SchemaOperation) => {
        const mode = await modeOf(call, op.core);
        const first = mode.mode === 'multi' ? mode.extractions[0] : mode.extraction;
        // effort comes with the config, inline or saved.
        const presetId = call.fields.schema_config_id;
        const config = presetId !== undefined ? presetOf(op.core, schemaPresets, presetId) : call.fields.schema_config;
        const effort = config?.effort === true;
        // An unusable schema is a 400 now, not a failed job later.
        if (mode.mode !== 'split') {
          const problem = (await loadStructured()).schemaProblem(mode.schema);
          if (problem !== undefined) throw errors.invalidParameter('schema_config.input_schema', problem);
        }
        // Counted once the run is accepted: a refused request takes no version.
        const version =
          mode.mode === 'split'
            ? op.recordVersion(first?.extractionId ?? '', 1)
            : op.nextVersion(first?.extractionId ?? '');
        return runOrSubmit<SchemaJobData>(op.core, op.kind, call, {
          candidates: [first?.document.name ?? 'schema'],
          data: { ...mode, version, effort },
          pages: first?.document.pages.length ?? 0,
        });
      },
    }),
    route({
      method: 'GET',
      path: '/schema/:schemaId/excel',
      route: 'schema-excel',
      readsBody: false,
      schema: {
        summary: 'Download the filled workbook of a schema run made with an Excel template (.xlsx)',
        tags: ['schema'],
        params: Type.Object({ schemaId: Type.String({ minLength: 1, maxLength: LIMITS.idLength }) }),
        response: {
          200: Type.String({
            contentMediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
            description: '.xlsx bytes',
          }),
        },
      },
      handle: (call, _op: SchemaOperation) => call.core.file(call.params.schemaId, 'excel', 'schema_id'),
    }),
  ],
  batch: batchCapability({
    // Counted as total_extractions, or total_splits in split mode (`items` says which).
    total: '',
    properties: {
      batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
      extraction_ids: Type.Optional(BatchIds),
      batch_split_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
      split_ids: Type.Optional(BatchIds),
      schema_config: Type.Optional(
        Type.Object(
          {
            input_schema: Type.Object({}, { additionalProperties: true }),
            schema_prompt: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
            effort: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ),
      split_schema_config: Type.Optional(
        Type.Record(
          Type.String(),
          Type.Object({ schema: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: true }),
          { maxProperties: 100 },
        ),
      ),
      page_range: Type.Optional(Type.String({ maxLength: LIMITS.optionLength })),
    },
    items: async (call, op: SchemaOperation, batch) => {
      const f = call.fields;
      if (f.batch_split_id !== undefined || f.split_ids !== undefined) {
        if ((f.batch_split_id === undefined) === (f.split_ids === undefined))
          throw errors.invalidParameter('batch_split_id', 'Give exactly one of batch_split_id and split_ids.');
        if (!f.split_schema_config)
          throw errors.invalidParameter(
            'split_schema_config',
            'Split mode needs split_schema_config: a schema per topic.',
          );
        const splitOp = operationOf<SplitOperation>(call, 'split');
        const ids = f.split_ids ?? batch.splitsOf(f.batch_split_id as string);
        const children = [];
        for (const id of ids) {
          const split = await splitOp.split(id);
          const topics: Record<string, { schema: Record<string, unknown>; pages: number[] }> = {};
          for (const [topic, config] of Object.entries(f.split_schema_config)) {
            if (!(topic in split.splits))
              throw errors.invalidParameter('split_schema_config', `"${topic}" is not a topic of split ${id}.`);
            topics[topic] = { schema: config.schema, pages: split.splits[topic] as number[] };
          }
          const { topics: _t, ...extraction } = split.data;
          const version = op.recordVersion(extraction.extractionId, 1);
          children.push(
            batchChild<SchemaJobData>(
              op.kind,
              extraction.document.name,
              { mode: 'split', splitId: id, extraction, topics, version, effort: false },
              extraction.document.pages.length,
            ),
          );
        }
        return { children, inputs: ids, total: 'total_splits' };
      }
      if (!f.schema_config)
        throw errors.invalidParameter(
          'schema_config',
          'Give schema_config (or split_schema_config with batch_split_id or split_ids).',
        );
      const { input_schema: schema, effort } = f.schema_config;
      const refs = batch.extractions(call);
      // Each child is a schema run of its extraction: its version counts on from the runs before, as /schema's do.
      return {
        children: refs.map((r) =>
          batchChild<SchemaJobData>(
            op.kind,
            r.document.name,
            { mode: 'single', extraction: r, schema, version: op.nextVersion(r.extractionId), effort: effort === true },
            r.document.pages.length,
          ),
        ),
        inputs: refs.map((r) => r.extractionId),
        total: 'total_extractions',
      };
    },
    resultId: (child) => ({ schema_id: child.id }),
  }),
  pipelineSteps: [
    {
      name: 'schema',
      follows: ['extract', 'split', 'batch_extract'],
      plans: () => ({}),
      // After a split, the schema applies to every topic (Pulse does not document how per-topic schemas are given).
      requests: (config, _fileUrl, made) => [
        {
          path: '/schema',
          fields: made.splitId
            ? {
                split_id: made.splitId,
                split_schema_config: Object.fromEntries(made.topics.map((t) => [t, { schema: config.input_schema }])),
              }
            : made.extractionIds
              ? { extraction_ids: made.extractionIds, schema_config: config }
              : { extraction_id: made.extractionId, schema_config: config },
        },
      ],
      collect: ([body]) => ({ name: 'schema', jobId: body?.schema_id as string }),
    },
  ],
  presets: schemaPresets,
});
