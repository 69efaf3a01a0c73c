import { Type } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import type { ApiCall, ApiRouteSpec } from '../api/routes.js';
import { validationMessage, validatorFor } from '../api/validator.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import type { ExtractOperation } from './extract/index.js';
import { defineOperation, operationOf } from './operation.js';

/**
 * `POST /pipeline/execute`: several steps in one request, each run by the single operation's own
 * route (the same code, stores and ids: a pipeline's extraction is usable by a later `/schema`).
 * Steps run when the request is accepted, sync or async; the response is made from the steps'
 * runs on read. Each step's `latency` is its simulated processing time (`--processing-ms`).
 */
type StepName = 'extract' | 'batch_extract' | 'split' | 'schema' | 'tables';

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

/** The routes a step runs through, found in the built-in list when first needed. */
let routes: Map<string, ApiRouteSpec> | undefined;
async function routeFor(path: string): Promise<ApiRouteSpec> {
  if (!routes) {
    const { apiRouteSpecs } = await import('../api/routes.js');
    routes = new Map(apiRouteSpecs().map((r) => [`${r.method} ${r.path}`, r]));
  }
  return routes.get(`POST ${path}`) as ApiRouteSpec;
}

/** Runs one step through its route: its body schema first (as the request pipeline would), then the operation. */
async function runStep(
  call: ApiCall,
  path: string,
  step: string,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const spec = await routeFor(path);
  const schema = spec.schema.body?.content['application/json']?.schema;
  if (schema) {
    const validate = validatorFor(schema);
    if (!validate(fields))
      throw errors.invalidBody(`Invalid steps.${step}: ${validationMessage('body', validate.errors)}`, { step });
  }
  const out = await spec.handle({ ...call, fields });
  return out.body as Record<string, unknown>;
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

  /** Runs the steps now; what each made is kept in the recipe. */
  async runSteps(call: ApiCall): Promise<PipelineJobData> {
    const f = call.fields as {
      file_url?: string;
      fileUrl?: string;
      steps: Record<string, Record<string, unknown>>;
      auto_delete?: boolean;
      autoDelete?: boolean;
    };
    const chain = chainOf(f.steps);
    const latency = this.core.options.processingMs / 1000;
    const done: PipelineJobData['steps'] = [];
    let extractionId: string | undefined;
    let extractionIds: string[] | undefined;
    let splitId: string | undefined;
    let topics: string[] = [];
    for (const name of chain) {
      const config = f.steps[name] ?? {};
      if (name === 'extract') {
        const fileUrl = f.file_url ?? f.fileUrl;
        const body = await runStep(call, '/extract', name, {
          ...config,
          ...(fileUrl !== undefined && config.file_url === undefined ? { file_url: fileUrl } : {}),
          storage: { enabled: true },
          async: false,
        });
        extractionId = body.extraction_id as string;
        done.push({ name, jobId: operationOf<ExtractOperation>(call, 'extract').extraction(extractionId).jobId });
      } else if (name === 'batch_extract') {
        const {
          file_urls,
          fileUrls,
          files,
          workers: _w,
          ...options
        } = config as {
          file_urls?: string[];
          fileUrls?: string[];
          files?: { filename: string; content: string }[];
          workers?: number;
        };
        const urls = file_urls ?? fileUrls ?? [];
        if (urls.length === 0 && !files?.length)
          throw errors.invalidParameter('steps.batch_extract', 'steps.batch_extract needs file_urls or files.');
        if (files?.length)
          throw errors.invalidParameter(
            'steps.batch_extract.files',
            'steps.batch_extract.files is not supported by this version of pulse-mock yet; give file_urls.',
          );
        extractionIds = [];
        for (const url of urls)
          extractionIds.push(
            (
              await runStep(call, '/extract', name, {
                ...options,
                file_url: url,
                storage: { enabled: true },
                async: false,
              })
            ).extraction_id as string,
          );
        done.push({ name, extractionIds, totalFiles: urls.length });
      } else if (name === 'split') {
        const body = await runStep(call, '/split', name, { extraction_id: extractionId, split_config: config });
        splitId = body.split_id as string;
        topics = Object.keys((body.split_output as { splits: Record<string, unknown> }).splits);
        done.push({ name, jobId: splitId, splitInput: (config as { split_input?: unknown }).split_input });
      } else if (name === 'schema') {
        // After a split, the schema applies to every topic (Pulse does not document how per-topic schemas are given).
        const fields = splitId
          ? {
              split_id: splitId,
              split_schema_config: Object.fromEntries(
                topics.map((t) => [t, { schema: (config as { input_schema?: unknown }).input_schema }]),
              ),
            }
          : extractionIds
            ? { extraction_ids: extractionIds, schema_config: config }
            : { extraction_id: extractionId, schema_config: config };
        done.push({ name, jobId: (await runStep(call, '/schema', name, fields)).schema_id as string });
      } else if (name === 'tables') {
        done.push({
          name,
          jobId: (await runStep(call, '/tables', name, { extraction_id: extractionId, tables_config: config }))
            .tables_id as string,
        });
      }
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

const step = Type.Object({}, { additionalProperties: true });

export const pipelineOperation = defineOperation({
  kind: 'pipeline',
  create: (core) => new PipelineOperation(core),
  routes: [
    {
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
              schema: Type.Object(
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
              ),
            },
          },
        },
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
      handle: async (call, op) => {
        const data = await op.runSteps(call);
        if (call.fields.async === true)
          return op.core.submit<PipelineJobData>('pipeline', {
            candidates: ['pipeline'],
            build: () => ({ data, pages: 0 }),
          });
        return { status: 200, body: await op.result({ data }, call.baseUrl) };
      },
    },
  ],
});
