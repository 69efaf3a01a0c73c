import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Type, type Schema } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { route, type ApiCall } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import {
  defineOperation,
  operationOf,
  type BatchCapability,
  type BatchCommonFields,
  type BatchContext,
  type BatchItems,
  type OperationModule,
  type OperationRoute,
} from './operation.js';
import { storedExtraction, type ExtractionRef } from './stored.js';

/**
 * `POST /batch/{kind}`, for each operation with a `batch` capability (extract, split, schema,
 * tables): one operation over many items, always async. The batch is
 * a parent job accepted as `processing`; each item is a child job of the single operation (the
 * same code path, its own `job.*` webhooks), at most `workers` of them processing at once.
 * `GET /job/{batch_job_id}` shows progress while it runs; cancelling it cancels the children
 * not yet ended; it completes once every child has ended, failed ones included.
 */
export interface BatchJobData {
  /** The kind of its children: the operation run over the items. */
  step: string;
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

export class BatchOperation implements JobKind<BatchJobData>, BatchContext {
  readonly kind = 'batch';
  constructor(
    readonly core: PulseCore,
    /** The runtime's operations: a child's result id is its own module's to say. */
    private readonly modules: readonly OperationModule[],
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
        ...(c.status === 'completed' ? this.#resultId(c) : {}),
        ...(c.error !== undefined ? { error: c.error } : {}),
        ...(job.data.writeErrors?.[c.id] ? { output_error: job.data.writeErrors[c.id] } : {}),
      })),
      output: job.data.output,
    };
  }

  result(job: JobRecord<BatchJobData>) {
    return this.progress(job);
  }

  /** The id a completed child's result is known by (`extraction_id`, `split_id`, ...), as its operation says. */
  #resultId(child: JobRecord): Record<string, string> {
    return this.modules.find((m) => m.kind === child.kind)?.batch?.resultId(child) ?? {};
  }

  extractions(call: ApiCall<{ batch_extract_id?: string; extraction_ids?: string[] }>): ExtractionRef[] {
    const f = call.fields;
    if ((f.batch_extract_id === undefined) === (f.extraction_ids === undefined))
      throw errors.invalidParameter('batch_extract_id', 'Give exactly one of batch_extract_id and extraction_ids.');
    const ids = f.extraction_ids ?? this.extractionsOf(f.batch_extract_id as string);
    return ids.map((id) => storedExtraction(call, id));
  }

  /** The extractions a batch extract produced (its completed children), for the steps that read them. */
  extractionsOf(batchId: string): string[] {
    const job = this.core.jobs.get(batchId) as JobRecord<BatchJobData> | undefined;
    if (!job || job.kind !== this.kind || job.data.step !== 'extract')
      throw errors.notFoundById('batch_extract_id', batchId);
    return this.core
      .childrenOf(batchId)
      .flatMap((c) =>
        c.status === 'completed' && this.#resultId(c).extraction_id ? [this.#resultId(c).extraction_id as string] : [],
      );
  }

  /** The splits a batch split produced (its completed children). */
  splitsOf(batchId: string): string[] {
    const job = this.core.jobs.get(batchId) as JobRecord<BatchJobData> | undefined;
    if (!job || job.kind !== this.kind || job.data.step !== 'split')
      throw errors.notFoundById('batch_split_id', batchId);
    return this.core.childrenOf(batchId).flatMap((c) => (c.status === 'completed' ? [c.id] : []));
  }

  async start(call: ApiCall<BatchCommonFields>, step: string, items: BatchItems, totalKey: string) {
    const { children, inputs } = items;
    const f = call.fields;
    const output = f.output;
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
    return { status: 202, body: { batch_job_id: parent.id, status: 'processing', [totalKey]: inputs.length } };
  }
}

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
/** The 202 of a batch; `/batch/schema` says `total_extractions` or `total_splits` by mode. */
const Accepted = (total: string) =>
  Type.Object(
    { batch_job_id: Type.String(), status: Type.Literal('processing'), ...(total ? { [total]: Type.Integer() } : {}) },
    { additionalProperties: total ? false : Type.Integer() },
  );
/** A batch's body: the operation's own properties, and the `output` and `workers` every batch takes. */
const batchBody = (
  properties: Record<string, Schema>,
): { content: { 'application/json': { schema: Schema<BatchCommonFields & Record<string, unknown>> } } } => ({
  content: {
    'application/json': {
      schema: Type.Object(
        { ...properties, output: Output, workers: Type.Optional(Workers) },
        { additionalProperties: false },
      ),
    },
  },
});

/** `POST /batch/{kind}` for an operation with a batch capability: its items, run as children of one parent job. */
function batchRoute(module: OperationModule, batch: BatchCapability<JobKind<never>>): OperationRoute<BatchOperation> {
  return route({
    method: 'POST',
    path: `/batch/${module.kind}`,
    route: `batch-${module.kind}`,
    readsBody: true,
    ...(batch.jsonCarriesFiles ? { jsonCarriesFiles: true } : {}),
    schema: {
      summary: `Run ${module.kind} over many items, always async (202): a parent job with a child job per item`,
      tags: ['batch'],
      body: batchBody(batch.properties),
      response: { 202: Accepted(batch.total) },
    },
    handle: async (call, op: BatchOperation) => {
      const items = await batch.items(call, operationOf(call, module.kind), op);
      return op.start(call, module.kind, items, items.total ?? batch.total);
    },
  });
}

export const batchOperation = defineOperation({
  kind: 'batch',
  create: (core, modules) =>
    new BatchOperation(core, modules, async (job) => (await core.getJob(job.id, '')).body.result),
  routes: (modules) => modules.flatMap((m) => (m.batch ? [batchRoute(m, m.batch)] : [])),
});
