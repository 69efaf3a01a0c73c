import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Type } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import type { ApiCall } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, JobSubmission, PulseCore } from '../core/pulse-core.js';
import { extractOperation, type ExtractJobData, type ExtractOperation } from './extract/index.js';
import { normalizeExtractRequest } from './extract/request.js';
import { checkAsRoute, defineOperation, operationOf, routeOf, type OperationRoute } from './operation.js';
import type { SchemaJobData, SchemaOperation } from './schema.js';
import type { SplitJobData, SplitOperation, Topic } from './split.js';
import { storedExtraction, type ExtractionRef } from './stored.js';
import type { TablesJobData } from './tables.js';

/**
 * `POST /batch/extract|split|schema|tables`: one step over many items, always async. The batch is
 * a parent job accepted as `processing`; each item is a child job of the single operation (the
 * same code path, its own `job.*` webhooks), at most `workers` of them processing at once.
 * `GET /job/{batch_job_id}` shows progress while it runs; cancelling it cancels the children
 * not yet ended; it completes once every child has ended, failed ones included.
 */
export type BatchStep = 'extract' | 'split' | 'schema' | 'tables';

export interface BatchJobData {
  step: BatchStep;
  /** What each child was made from, by child index: a file URL or name, an extraction or split id. */
  inputs: string[];
  output: { s3_prefix?: string; local_path?: string };
  /** `output.local_path` resolved inside `--output-dir`: one result JSON per item is written there. */
  writeTo?: string;
  /** Where writing an item's file failed anyway, by child id: the reason, shown on the item. */
  writeErrors?: Record<string, string>;
}

/**
 * Where `output.local_path` may write: inside `--output-dir` only. Any client of the API could
 * otherwise write files anywhere on the user's disk, so an absolute path elsewhere, one that
 * climbs out, or one that leads out through a symlink (checked on the real path of its deepest
 * existing folder) is a 400; so is a segment no file system takes (a NUL, over 255 bytes).
 */
export function outputDirFor(localPath: string, outputDir: string): string {
  const refuse = (why: string) =>
    errors.invalidParameter(
      'output.local_path',
      `output.local_path ${why}; "${localPath.slice(0, 200)}" is not usable.`,
    );
  for (const segment of localPath.split(/[\\/]/)) {
    if (segment.includes('\u0000')) throw refuse('may not contain a NUL character');
    if (Buffer.byteLength(segment) > 255) throw refuse('has a folder name over 255 bytes');
  }
  const root = resolve(outputDir);
  const target = isAbsolute(localPath) ? resolve(localPath) : resolve(root, localPath);
  if (!inside(root, target) || !inside(realPathOf(root), realPathOf(target)))
    throw refuse(`must be inside the output directory ${root} (--output-dir)`);
  return target;
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return !rel.startsWith('..') && !isAbsolute(rel);
};

/** The real path of `path`: its deepest existing folder resolved (symlinks followed), the rest appended. */
function realPathOf(path: string): string {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return path;
      rest.push(basename(at));
      at = up;
    }
  }
}

/** The id a child's result is known by, per step (`extraction_id`, `split_id`, ...). */
function resultId(child: JobRecord): Record<string, string> {
  if (child.kind === 'extract')
    return (child.data as ExtractJobData).request.storage
      ? { extraction_id: (child.data as ExtractJobData).extractionId }
      : {};
  if (child.kind === 'split') return { split_id: child.id };
  if (child.kind === 'schema') return { schema_id: child.id };
  if (child.kind === 'tables') return { tables_id: child.id };
  return {};
}

export class BatchOperation implements JobKind<BatchJobData> {
  readonly kind = 'batch';
  constructor(
    readonly core: PulseCore,
    /** A child's result, as GET /job shows it (its kind's). */
    private readonly resultOf: (job: JobRecord) => Promise<unknown>,
  ) {
    // A completed child of a batch with output.local_path: its result JSON goes to the directory.
    core.onEvent((e) => {
      if (e.type !== 'job.completed') return;
      const child = core.jobs.get(e.jobId);
      const parent =
        child?.parentId !== undefined
          ? (core.jobs.get(child.parentId) as JobRecord<BatchJobData> | undefined)
          : undefined;
      if (!child || !parent || parent.kind !== this.kind || !parent.data.writeTo) return;
      const dir = parent.data.writeTo;
      const index = core.childrenOf(parent.id).indexOf(child);
      const root = core.options.outputDir ?? 'pulse-mock-output';
      void this.resultOf(child)
        .then((result) => {
          // Checked again where it is written, before and after making the folders: a symlink
          // may have appeared since the submission.
          const recheck = () => outputDirFor(relative(resolve(root), dir) || '.', root);
          recheck();
          mkdirSync(dir, { recursive: true });
          recheck();
          writeFileSync(
            join(dir, `${String(index + 1).padStart(4, '0')}-${child.id}.json`),
            `${JSON.stringify(result, null, 2)}\n`,
            { flag: 'w' },
          );
        })
        .catch((e: unknown) => {
          // The item stays completed and readable through GET /job; its output_error says why
          // no file was written.
          const reason = e instanceof Error ? e.message : String(e);
          (parent.data.writeErrors ??= {})[child.id] = reason.slice(0, 500);
          // The batch record changed: a later updated_at, so GET /job does not answer from the
          // result made before it.
          parent.updatedAt = Math.max(parent.updatedAt + 1, core.clock.now());
        });
    });
  }

  /** Progress, the same shape while running and once done: counts that add up, and every item. */
  progress(job: JobRecord<BatchJobData>) {
    const children = this.core.childrenOf(job.id);
    const count = (s: string) => children.filter((c) => c.status === s).length;
    return {
      batch_job_id: job.id,
      step: job.data.step,
      total: job.data.inputs.length,
      completed: count('completed'),
      failed: count('failed'),
      canceled: count('canceled'),
      running: count('pending') + count('processing'),
      items: children.map((c, index) => ({
        index,
        input: job.data.inputs[index] ?? '',
        status: c.status,
        job_id: c.id,
        ...(c.status === 'completed' ? resultId(c) : {}),
        ...(c.error !== undefined ? { error: c.error } : {}),
        ...(job.data.writeErrors?.[c.id] ? { output_error: job.data.writeErrors[c.id] } : {}),
      })),
      output: job.data.output,
    };
  }

  result(job: JobRecord<BatchJobData>) {
    return this.progress(job);
  }

  /** The extractions a batch extract produced (its completed children), for the steps that read them. */
  extractionsOf(batchId: string): string[] {
    const job = this.core.jobs.get(batchId) as JobRecord<BatchJobData> | undefined;
    if (!job || job.kind !== this.kind || job.data.step !== 'extract')
      throw errors.notFoundById('batch_extract_id', batchId);
    return this.core
      .childrenOf(batchId)
      .flatMap((c) =>
        c.status === 'completed' && resultId(c).extraction_id ? [resultId(c).extraction_id as string] : [],
      );
  }

  /** The splits a batch split produced (its completed children). */
  splitsOf(batchId: string): string[] {
    const job = this.core.jobs.get(batchId) as JobRecord<BatchJobData> | undefined;
    if (!job || job.kind !== this.kind || job.data.step !== 'split')
      throw errors.notFoundById('batch_split_id', batchId);
    return this.core.childrenOf(batchId).flatMap((c) => (c.status === 'completed' ? [c.id] : []));
  }

  async start(
    call: ApiCall,
    step: BatchStep,
    children: { kind: string; submission: JobSubmission<unknown> }[],
    inputs: string[],
    totalKey: string,
  ) {
    const f = call.fields as { output?: { s3_prefix?: string; local_path?: string }; workers?: number };
    const output = f.output ?? {};
    if (output.s3_prefix === undefined && output.local_path === undefined)
      throw errors.invalidParameter('output', 'output needs an s3_prefix or a local_path.');
    const writeTo =
      output.local_path !== undefined
        ? outputDirFor(output.local_path, this.core.options.outputDir ?? 'pulse-mock-output')
        : undefined;
    if (children.length === 0) throw errors.invalidParameter('input', 'The batch has no items.');
    // A batch and its children are kept together until the batch ends: more than the store
    // holds could only be kept by evicting the batch's own items.
    if (children.length + 1 > this.core.options.maxJobs)
      throw errors.invalidParameter(
        'input',
        `The batch has ${children.length} items, but the mock keeps at most ${this.core.options.maxJobs} jobs (--max-jobs) and a batch is kept with all its items; send fewer items or raise --max-jobs.`,
      );
    const parent = await this.core.accept<BatchJobData>(this.kind, {
      candidates: [`batch/${step}`],
      startAs: 'processing',
      workers: f.workers ?? 4,
      children,
      build: () => ({ data: { step, inputs, output, ...(writeTo ? { writeTo } : {}) }, pages: 0 }),
    });
    operationOf<ExtractOperation>(call, 'extract').indexJobs(this.core.childrenOf(parent.id));
    return { status: 202, body: { batch_job_id: parent.id, status: 'processing', [totalKey]: inputs.length } };
  }
}

const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The items of a batch extract: file URLs, base64 files, or an S3 prefix standing for a few files. */
function extractItems(
  call: ApiCall,
  s3Items: number,
): {
  fields: Record<string, unknown>;
  upload?: { filename: string; mimetype: string; size: number; sha256: string };
  input: string;
}[] {
  const input = (call.fields.input ?? {}) as {
    s3_prefix?: string;
    file_urls?: string[];
    files?: { filename: string; content: string }[];
  };
  const given = [input.s3_prefix, input.file_urls, input.files].filter((x) => x !== undefined).length;
  if (given !== 1) throw errors.invalidParameter('input', 'input needs exactly one of s3_prefix, file_urls and files.');
  const options = (call.fields.extract_options ?? {}) as Record<string, unknown>;
  // /extract's own schema and limits, checked once for every item, before any job is made.
  checkAsRoute(
    routeOf(extractOperation, 'POST', '/extract'),
    { ...options, file_url: 'https://example.com/item.pdf' },
    'extract_options',
  );
  if (input.file_urls) return input.file_urls.map((url) => ({ fields: { ...options, file_url: url }, input: url }));
  if (input.files)
    return input.files.map((file) => {
      const bytes = Buffer.from(file.content, 'base64');
      const ext = file.filename.split('.').pop()?.toLowerCase() ?? '';
      return {
        fields: { ...options },
        upload: {
          filename: file.filename,
          mimetype: MIME[ext] ?? 'application/octet-stream',
          size: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
        input: file.filename,
      };
    });
  const prefix = input.s3_prefix as string;
  if (!/^s3:\/\/[^/]+\/?/.test(prefix))
    throw errors.invalidParameter('input.s3_prefix', 'input.s3_prefix must look like s3://bucket/folder/.');
  const base = `https://${prefix.replace(/^s3:\/\//, '').replace(/\/?$/, '/')}`;
  return Array.from({ length: s3Items }, (_, i) => ({
    fields: { ...options, file_url: `${base}document-${i + 1}.pdf` },
    input: `${prefix.replace(/\/?$/, '/')}document-${i + 1}.pdf`,
  }));
}

/** The extractions a batch step reads: `batch_extract_id` (its completed children) or `extraction_ids`, exactly one. */
function extractionsFor(call: ApiCall, batch: BatchOperation): ExtractionRef[] {
  const f = call.fields as { batch_extract_id?: string; extraction_ids?: string[] };
  if ((f.batch_extract_id === undefined) === (f.extraction_ids === undefined))
    throw errors.invalidParameter('batch_extract_id', 'Give exactly one of batch_extract_id and extraction_ids.');
  const ids = f.extraction_ids ?? batch.extractionsOf(f.batch_extract_id as string);
  return ids.map((id) => storedExtraction(call, id));
}

const child = <D>(kind: string, name: string, data: D, pages: number) => ({
  kind,
  submission: { candidates: [name], build: () => ({ data, pages }) } as JobSubmission<unknown>,
});

const Output = Type.Object(
  {
    s3_prefix: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
    local_path: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
  },
  { additionalProperties: false },
);
const Workers = Type.Integer({
  minimum: 1,
  maximum: 10,
  description: 'Children processing at once (default 4, at most 10).',
});
const Ids = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), { minItems: 1, maxItems: 1000 });
/** The 202 of a batch; `/batch/schema` says `total_extractions` or `total_splits` by mode. */
const Accepted = (total: string) =>
  Type.Object(
    { batch_job_id: Type.String(), status: Type.Literal('processing'), ...(total ? { [total]: Type.Integer() } : {}) },
    { additionalProperties: total ? false : Type.Integer() },
  );
const json = (properties: Record<string, Record<string, unknown>>) => ({
  content: { 'application/json': { schema: Type.Object(properties, { additionalProperties: false }) } },
});

const route = (
  step: BatchStep,
  total: string,
  body: Record<string, Record<string, unknown>>,
  handle: OperationRoute<BatchOperation>['handle'],
  jsonCarriesFiles = false,
): OperationRoute<BatchOperation> => ({
  method: 'POST',
  path: `/batch/${step}`,
  route: `batch-${step}`,
  readsBody: true,
  ...(jsonCarriesFiles ? { jsonCarriesFiles } : {}),
  schema: {
    summary: `Run ${step} over many items, always async (202): a parent job with a child job per item`,
    tags: ['batch'],
    body: json(body),
    response: { 202: Accepted(total) },
  },
  handle,
});

export const batchOperation = defineOperation({
  kind: 'batch',
  create: (core) => new BatchOperation(core, async (job) => (await core.getJob(job.id, '')).body.result),
  routes: [
    route(
      'extract',
      'total_files',
      {
        input: Type.Object(
          {
            s3_prefix: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
            file_urls: Type.Optional(
              Type.Array(Type.String({ maxLength: LIMITS.urlLength }), { minItems: 1, maxItems: 1000 }),
            ),
            files: Type.Optional(
              Type.Array(
                Type.Object(
                  { filename: Type.String({ minLength: 1, maxLength: 255 }), content: Type.String() },
                  { additionalProperties: false },
                ),
                { minItems: 1, maxItems: 1000 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        output: Output,
        extract_options: Type.Optional(Type.Object({}, { additionalProperties: true })),
        workers: Type.Optional(Workers),
      },
      async (call, op) => {
        const extract = operationOf<ExtractOperation>(call, 'extract');
        const items = extractItems(call, op.core.options.s3PrefixItems ?? 3);
        const children = items.map((item) => ({
          kind: 'extract',
          submission: extract.submission(normalizeExtractRequest(item.fields, item.upload)),
        }));
        return op.start(
          call,
          'extract',
          children,
          items.map((i) => i.input),
          'total_files',
        );
      },
      true,
    ),
    route(
      'split',
      'total_extractions',
      {
        batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
        extraction_ids: Type.Optional(Ids),
        output: Output,
        split_config: Type.Object(
          {
            split_input: Type.Array(
              Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: LIMITS.optionLength }),
                  description: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 100 },
            ),
          },
          { additionalProperties: false },
        ),
        workers: Type.Optional(Workers),
      },
      (call, op) => {
        const refs = extractionsFor(call, op);
        const topics = (call.fields.split_config as { split_input: Topic[] }).split_input;
        return op.start(
          call,
          'split',
          refs.map((r) => child<SplitJobData>('split', r.document.name, { ...r, topics }, r.document.pages.length)),
          refs.map((r) => r.extractionId),
          'total_extractions',
        );
      },
    ),
    route(
      'schema',
      '',
      {
        batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
        extraction_ids: Type.Optional(Ids),
        batch_split_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
        split_ids: Type.Optional(Ids),
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
        output: Output,
        workers: Type.Optional(Workers),
      },
      async (call, op) => {
        const f = call.fields as {
          batch_split_id?: string;
          split_ids?: string[];
          schema_config?: { input_schema: Record<string, unknown>; effort?: boolean };
          split_schema_config?: Record<string, { schema: Record<string, unknown> }>;
        };
        if (f.batch_split_id !== undefined || f.split_ids !== undefined) {
          if ((f.batch_split_id === undefined) === (f.split_ids === undefined))
            throw errors.invalidParameter('batch_split_id', 'Give exactly one of batch_split_id and split_ids.');
          if (!f.split_schema_config)
            throw errors.invalidParameter(
              'split_schema_config',
              'Split mode needs split_schema_config: a schema per topic.',
            );
          const splitOp = operationOf<SplitOperation>(call, 'split');
          const ids = f.split_ids ?? op.splitsOf(f.batch_split_id as string);
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
            const version = operationOf<SchemaOperation>(call, 'schema').recordVersion(extraction.extractionId, 1);
            children.push(
              child<SchemaJobData>(
                'schema',
                extraction.document.name,
                { mode: 'split', splitId: id, extraction, topics, version, effort: false },
                extraction.document.pages.length,
              ),
            );
          }
          const started = await op.start(call, 'schema', children, ids, 'total_splits');
          return started;
        }
        if (!f.schema_config)
          throw errors.invalidParameter(
            'schema_config',
            'Give schema_config (or split_schema_config with batch_split_id or split_ids).',
          );
        const schema = f.schema_config.input_schema;
        const refs = extractionsFor(call, op);
        // Each child is a schema run of its extraction: its version counts on from the runs before, as /schema's do.
        const schemaOp = operationOf<SchemaOperation>(call, 'schema');
        return op.start(
          call,
          'schema',
          refs.map((r) =>
            child<SchemaJobData>(
              'schema',
              r.document.name,
              {
                mode: 'single',
                extraction: r,
                schema,
                version: schemaOp.nextVersion(r.extractionId),
                effort: f.schema_config?.effort === true,
              },
              r.document.pages.length,
            ),
          ),
          refs.map((r) => r.extractionId),
          'total_extractions',
        );
      },
    ),
    route(
      'tables',
      'total_extractions',
      {
        batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
        extraction_ids: Type.Optional(Ids),
        tables_config: Type.Optional(
          Type.Object(
            {
              merge: Type.Optional(Type.Boolean()),
              table_format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('json')])),
              charts_to_tables: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        ),
        output: Output,
        workers: Type.Optional(Workers),
      },
      (call, op) => {
        const refs = extractionsFor(call, op);
        const c = (call.fields.tables_config ?? {}) as {
          merge?: boolean;
          table_format?: 'html' | 'json';
          charts_to_tables?: boolean;
        };
        return op.start(
          call,
          'tables',
          refs.map((r) =>
            child<TablesJobData>(
              'tables',
              r.document.name,
              { ...r, merge: c.merge ?? false, format: c.table_format ?? 'html', charts: c.charts_to_tables ?? false },
              r.document.pages.length,
            ),
          ),
          refs.map((r) => r.extractionId),
          'total_extractions',
        );
      },
    ),
  ],
});
