import { Type, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { route, type ApiCall } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import type { ExtractOperation } from './extract/index.js';
import { overridesFrom } from '../core/overrides.js';
import { checkAsRoute, defineOperation, operationOf } from './operation.js';

/**
 * `POST /pipeline/execute`: several steps in one request, each run by the single operation's own
 * route (the same code, stores and ids: a pipeline's extraction is usable by a later `/schema`).
 * Steps run when the request is accepted, sync or async; the response is made from the steps'
 * runs on read. Each step's `latency` is its simulated processing time (`--processing-ms`).
 */
type StepName = 'extract' | 'batch_extract' | 'split' | 'schema' | 'tables';

const step = Type.Object({}, { additionalProperties: true });
/** `POST /pipeline/execute`'s body. */
const PipelineBody = Type.Object(
  {
    file_url: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
    fileUrl: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
    steps: Type.Object(
      {
        extract: Type.Optional(step),
        batch_extract: Type.Optional(step),
        split: Type.Optional(step),
        schema: Type.Optional(step),
        tables: Type.Optional(step),
      },
      { additionalProperties: false },
    ),
    async: Type.Optional(Type.Boolean()),
    auto_delete: Type.Optional(Type.Boolean()),
    autoDelete: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type PipelineFields = Static<typeof PipelineBody>;

/** The chains Pulse's SDK supports, in execution order. */
const CHAINS: StepName[][] = [
  ['extract'],
  ['extract', 'schema'],
  ['extract', 'split'],
  ['extract', 'split', 'schema'],
  ['extract', 'tables'],
  ['batch_extract', 'schema'],
];

/** What each step ran: the job that holds its result (or, for batch_extract, its extractions). */
export interface PipelineJobData {
  steps: { name: StepName; jobId?: string; extractionIds?: string[]; totalFiles?: number; splitInput?: unknown }[];
  latencyS: number;
  autoDelete: boolean;
}

/** Runs one step through its route: its body schema first (as the request pipeline would), then the operation. */
async function runStep(
  call: ApiCall,
  path: string,
  step: string,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const spec = call.routeTo('POST', path);
  checkAsRoute(spec, fields, `steps.${step}`);
  // The pipeline's outcome was planned once for the whole (see its handler), not per step.
  const out = await spec.handle({ ...call, fields, outcomePlanned: true });
  return out.body as Record<string, unknown>;
}

/** What the steps so far made, for the steps after them. */
interface Chained {
  extractionId?: string;
  extractionIds?: string[];
  splitId?: string;
  topics: string[];
}

/** Stands for an id a step will make, while the chain is checked before it runs. */
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

function batchUrls(config: Record<string, unknown>): string[] {
  const { file_urls, fileUrls, files } = config as { file_urls?: string[]; fileUrls?: string[]; files?: unknown[] };
  const urls = file_urls ?? fileUrls ?? [];
  if (urls.length === 0 && !files?.length)
    throw errors.invalidParameter('steps.batch_extract', 'steps.batch_extract needs file_urls or files.');
  if (files?.length)
    throw errors.invalidParameter(
      'steps.batch_extract.files',
      'steps.batch_extract.files is not supported by this version of pulse-mock yet; give file_urls.',
    );
  return urls;
}

/** The requests one step makes of the single operations' routes, given what the earlier steps made. */
function stepRequests(
  name: string,
  config: Record<string, unknown>,
  fileUrl: unknown,
  got: Chained,
): { path: string; fields: Record<string, unknown> }[] {
  const stored = { storage: { enabled: true }, async: false };
  switch (name) {
    case 'extract':
      return [
        {
          path: '/extract',
          fields: {
            ...config,
            ...(fileUrl !== undefined && config.file_url === undefined ? { file_url: fileUrl } : {}),
            ...stored,
          },
        },
      ];
    case 'batch_extract': {
      const { file_urls: _u, fileUrls: _f, files: _x, workers: _w, ...options } = config;
      return batchUrls(config).map((url) => ({ path: '/extract', fields: { ...options, file_url: url, ...stored } }));
    }
    case 'split':
      return [{ path: '/split', fields: { extraction_id: got.extractionId, split_config: config } }];
    case 'schema':
      // After a split, the schema applies to every topic (Pulse does not document how per-topic schemas are given).
      return [
        {
          path: '/schema',
          fields: got.splitId
            ? {
                split_id: got.splitId,
                split_schema_config: Object.fromEntries(
                  got.topics.map((t) => [t, { schema: (config as { input_schema?: unknown }).input_schema }]),
                ),
              }
            : got.extractionIds
              ? { extraction_ids: got.extractionIds, schema_config: config }
              : { extraction_id: got.extractionId, schema_config: config },
        },
      ];
    case 'tables':
      return [{ path: '/tables', fields: { extraction_id: got.extractionId, tables_config: config } }];
    default:
      return [];
  }
}

/** The names outcome rules match for a pipeline: its file URLs (top level, extract's, batch_extract's) and `pipeline`. */
function pipelineCandidates(f: PipelineFields): string[] {
  const extract = f.steps.extract;
  const batch = f.steps.batch_extract;
  const urls = [f.file_url, f.fileUrl, extract?.file_url, extract?.fileUrl, batch?.file_urls, batch?.fileUrls].flat();
  return [...urls.filter((u): u is string => typeof u === 'string'), 'pipeline'];
}

/** The chain as the keys of `steps` give it, or a 400 that names the rule it breaks. */
function chainOf(steps: Record<string, unknown>): StepName[] {
  const names = Object.keys(steps) as StepName[];
  if (names.includes('extract') && names.includes('batch_extract'))
    throw errors.invalidParameter('steps', 'steps.extract and steps.batch_extract exclude each other.');
  if (names[0] !== 'extract' && names[0] !== 'batch_extract')
    throw errors.invalidParameter('steps', 'A pipeline starts with steps.extract or steps.batch_extract.');
  if (names.includes('tables') && names.at(-1) !== 'tables')
    throw errors.invalidParameter('steps', 'steps.tables must be the last step.');
  if (!CHAINS.some((c) => c.join() === names.join()))
    throw errors.invalidParameter(
      'steps',
      `Unsupported chain ${names.join(' -> ')}; supported: ${CHAINS.map((c) => c.join(' -> ')).join('; ')}.`,
    );
  return names;
}

export class PipelineOperation implements JobKind<PipelineJobData> {
  readonly kind = 'pipeline';
  constructor(readonly core: PulseCore) {}

  /** Runs the steps now, `beforeRun` once they are all checked; what each made is kept in the recipe. */
  async runSteps(call: ApiCall<PipelineFields>, beforeRun?: () => void): Promise<PipelineJobData> {
    const f = call.fields;
    const chain = chainOf(f.steps);
    const latency = this.core.options.processingMs / 1000;
    const fileUrl = f.file_url ?? f.fileUrl;
    // Every request of every step is checked against its route before the first one runs (ids an
    // earlier step will make stand in as placeholders), so a step refused for its size or a bad
    // option leaves no jobs behind from the steps before it.
    const planned: Chained = {
      ...(chain.includes('extract') ? { extractionId: PLACEHOLDER_ID } : {}),
      ...(chain.includes('split') ? { splitId: PLACEHOLDER_ID } : {}),
      topics: ((f.steps.split?.split_input ?? []) as { name?: unknown }[]).map((t, i) =>
        typeof t?.name === 'string' ? t.name : `topic ${i + 1}`,
      ),
      ...(chain[0] === 'batch_extract'
        ? { extractionIds: batchUrls(f.steps.batch_extract ?? {}).map(() => PLACEHOLDER_ID) }
        : {}),
    };
    for (const name of chain)
      for (const r of stepRequests(name, f.steps[name] ?? {}, fileUrl, planned))
        checkAsRoute(call.routeTo('POST', r.path), r.fields, `steps.${name}`);
    beforeRun?.();

    const done: PipelineJobData['steps'] = [];
    const got: Chained = { topics: [] };
    for (const name of chain) {
      const config = f.steps[name] ?? {};
      const bodies = [];
      for (const r of stepRequests(name, config, fileUrl, got))
        bodies.push(await runStep(call, r.path, name, r.fields));
      const body = bodies[0]!;
      if (name === 'extract') {
        got.extractionId = body.extraction_id as string;
        done.push({ name, jobId: operationOf<ExtractOperation>(call, 'extract').extraction(got.extractionId).jobId });
      } else if (name === 'batch_extract') {
        got.extractionIds = bodies.map((b) => b.extraction_id as string);
        done.push({ name, extractionIds: got.extractionIds, totalFiles: bodies.length });
      } else if (name === 'split') {
        got.splitId = body.split_id as string;
        got.topics = Object.keys((body.split_output as { splits: Record<string, unknown> }).splits);
        done.push({ name, jobId: got.splitId, splitInput: (config as { split_input?: unknown }).split_input });
      } else if (name === 'schema') done.push({ name, jobId: body.schema_id as string });
      else if (name === 'tables') done.push({ name, jobId: body.tables_id as string });
    }
    return { steps: done, latencyS: latency, autoDelete: (f.auto_delete ?? f.autoDelete) === true };
  }

  /** PipelineExecuteResponse, made from the steps' runs. */
  async result(job: Pick<JobRecord<PipelineJobData>, 'data'>, baseUrl: string) {
    const results: Record<string, unknown> = {};
    for (const step of job.data.steps) {
      const run = step.jobId
        ? ((await this.core.getJob(step.jobId, baseUrl)).body.result as Record<string, unknown>)
        : {};
      const latency = job.data.latencyS;
      if (step.name === 'extract') results.extract = { ...run, pages: run.page_count, latency };
      else if (step.name === 'batch_extract')
        results.batch_extract = { extraction_ids: step.extractionIds, total_files: step.totalFiles, latency };
      else if (step.name === 'split') results.split = { ...run, split_input: step.splitInput, latency };
      else results[step.name] = { ...run, latency };
    }
    return {
      status: 'completed',
      total_latency: Math.round(job.data.latencyS * job.data.steps.length * 1000) / 1000,
      results,
      ...(job.data.autoDelete ? { auto_delete: true } : {}),
    };
  }
}

export const pipelineOperation = defineOperation({
  kind: 'pipeline',
  create: (core) => new PipelineOperation(core),
  routes: [
    route({
      method: 'POST',
      path: '/pipeline/execute',
      route: 'pipeline',
      readsBody: true,
      // steps.batch_extract.files carries files as base64.
      jsonCarriesFiles: true,
      schema: {
        summary: 'Run several steps in one request: extract, split, schema, tables (sync, or async with async=true)',
        tags: ['pipeline'],
        body: {
          content: {
            'application/json': {
              schema: PipelineBody,
            },
          },
        },
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
      handle: async (call, op: PipelineOperation) => {
        // One call, one planned outcome: a sync pipeline planned to fail is a 400 before any step
        // runs; an async one is a job that fails, its steps run as usual.
        const overrides = overridesFrom(call.header);
        const data = await op.runSteps(call, () => {
          if (call.fields.async !== true) op.core.planSync(pipelineCandidates(call.fields), overrides);
        });
        if (call.fields.async === true)
          return op.core.submit<PipelineJobData>('pipeline', {
            candidates: pipelineCandidates(call.fields),
            overrides,
            build: () => ({ data, pages: 0 }),
          });
        return { status: 200, body: await op.result({ data }, call.baseUrl) };
      },
    }),
  ],
});
