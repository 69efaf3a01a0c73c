/**
 * `POST /pipeline/execute`: several steps in one request, each run by its operation's own route
 * (the same code, stores and ids: a pipeline's extraction is usable by a later `/schema`). The
 * steps are the operations' `pipelineSteps`; a chain is valid when each step may follow the one
 * before it (its `follows`), which gives Pulse's chains: extract [-> split] [-> schema],
 * extract -> tables, batch_extract -> schema. Steps run when the request is accepted, sync or
 * async; the response is made from the steps' runs on read. Each step's `latency` is its
 * simulated processing time (`--processing-ms`).
 */
import { Type, type Schema, type Static } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { route, type ApiCall } from '../api/contract.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import { overridesFrom } from '../core/overrides.js';
import {
  checkAsRoute,
  defineOperation,
  type OperationModule,
  type PipelineMade,
  type PipelineStep,
  type PipelineStepRun,
} from './operation.js';

/** What each step ran, kept in the job's recipe. */
export interface PipelineJobData {
  steps: (PipelineStepRun & LegacyStepRun)[];
  latencyS: number;
  autoDelete: boolean;
}

/** How 0.2-0.3 journalled a step's extras, still read from a `--state` file written then. */
interface LegacyStepRun {
  extractionIds?: string[];
  totalFiles?: number;
  splitInput?: unknown;
}

const open = Type.Object({}, { additionalProperties: true });

/** `steps`: an optional entry per step the operations offer, each that step's config. */
function stepsSchema(steps: readonly PipelineStep[]): Schema<Record<string, Record<string, unknown> | undefined>> {
  return Type.Object(Object.fromEntries(steps.map((s) => [s.name, Type.Optional(open)])), {
    additionalProperties: false,
  });
}

/** `POST /pipeline/execute`'s body, with a `steps` entry per step the operations offer. */
const pipelineBody = (steps: readonly PipelineStep[]) =>
  Type.Object(
    {
      file_url: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
      fileUrl: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
      steps: stepsSchema(steps),
      async: Type.Optional(Type.Boolean()),
      auto_delete: Type.Optional(Type.Boolean()),
      autoDelete: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  );
type PipelineFields = Static<ReturnType<typeof pipelineBody>>;

/** Every pipeline step the operations offer, in the operations' order. */
const stepsOf = (modules: readonly OperationModule[]): PipelineStep[] => modules.flatMap((m) => m.pipelineSteps ?? []);

/** Runs one step's request through its route: its body schema first (as the request pipeline would), then the operation. */
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

/** The names outcome rules match for a pipeline: its file URLs (top level, and each step's) and `pipeline`. */
function pipelineCandidates(f: PipelineFields): string[] {
  const urls: unknown[] = [f.file_url, f.fileUrl];
  for (const config of Object.values(f.steps))
    urls.push(...[config?.file_url, config?.fileUrl, config?.file_urls, config?.fileUrls].flat());
  return [...urls.filter((u): u is string => typeof u === 'string'), 'pipeline'];
}

/** Every chain the steps allow, for the message that lists them. */
function chainsOf(steps: readonly PipelineStep[]): string[][] {
  const out: string[][] = [];
  const walk = (chain: string[]) => {
    out.push(chain);
    if (chain.length > steps.length) return;
    for (const s of steps) if (s.follows.includes(chain.at(-1) as string)) walk([...chain, s.name]);
  };
  for (const s of steps) if (s.follows.length === 0) walk([s.name]);
  return out;
}

/** The steps in the order of `steps`' keys, or a 400 that names the rule the chain breaks. */
function chainOf(given: Record<string, unknown>, steps: readonly PipelineStep[]): PipelineStep[] {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const chain = Object.keys(given).map((n) => byName.get(n) as PipelineStep);
  const starters = steps.filter((s) => s.follows.length === 0).map((s) => `steps.${s.name}`);
  const startersGiven = chain.filter((s) => s.follows.length === 0);
  if (startersGiven.length > 1)
    throw errors.invalidParameter(
      'steps',
      `${startersGiven.map((s) => `steps.${s.name}`).join(' and ')} exclude each other.`,
    );
  if (chain[0]?.follows.length !== 0)
    throw errors.invalidParameter('steps', `A pipeline starts with ${starters.join(' or ')}.`);
  for (const [i, s] of chain.entries()) {
    const next = chain[i + 1];
    if (next === undefined || next.follows.includes(s.name)) continue;
    if (!steps.some((other) => other.follows.includes(s.name)))
      throw errors.invalidParameter('steps', `steps.${s.name} must be the last step.`);
    throw errors.invalidParameter(
      'steps',
      `Unsupported chain ${chain.map((c) => c.name).join(' -> ')}; supported: ${chainsOf(steps)
        .map((c) => c.join(' -> '))
        .join('; ')}.`,
    );
  }
  return chain;
}

export class PipelineOperation implements JobKind<PipelineJobData> {
  readonly kind = 'pipeline';
  readonly #steps: PipelineStep[];

  constructor(
    readonly core: PulseCore,
    modules: readonly OperationModule[],
  ) {
    this.#steps = stepsOf(modules);
  }

  /** Runs the steps now, `beforeRun` once they are all checked; what each made is kept in the recipe. */
  async runSteps(call: ApiCall<PipelineFields>, beforeRun?: () => void): Promise<PipelineJobData> {
    const f = call.fields;
    const chain = chainOf(f.steps, this.#steps);
    const latency = this.core.options.processingMs / 1000;
    const fileUrl = f.file_url ?? f.fileUrl;
    const configOf = (s: PipelineStep) => f.steps[s.name] ?? {};
    // Every request of every step is checked against its route before the first one runs (ids an
    // earlier step will make stand in as placeholders), so a step refused for its size or a bad
    // option leaves no jobs behind from the steps before it.
    const planned: PipelineMade = { topics: [] };
    for (const s of chain) Object.assign(planned, s.plans(configOf(s)));
    for (const s of chain)
      for (const r of s.requests(configOf(s), fileUrl, planned))
        checkAsRoute(call.routeTo('POST', r.path), r.fields, `steps.${s.name}`);
    beforeRun?.();

    const done: PipelineStepRun[] = [];
    const made: PipelineMade = { topics: [] };
    for (const s of chain) {
      const bodies = [];
      for (const r of s.requests(configOf(s), fileUrl, made))
        bodies.push(await runStep(call, r.path, s.name, r.fields));
      done.push(s.collect(bodies, configOf(s), made, call));
    }
    return { steps: done, latencyS: latency, autoDelete: (f.auto_delete ?? f.autoDelete) === true };
  }

  /** PipelineExecuteResponse, made from the steps' runs. */
  async result(job: Pick<JobRecord<PipelineJobData>, 'data'>, baseUrl: string) {
    const results: Record<string, unknown> = {};
    const latency = job.data.latencyS;
    for (const run of job.data.steps) {
      const step = { ...run, extra: run.extra ?? legacyExtra(run) };
      const result = step.jobId
        ? ((await this.core.getJob(step.jobId, baseUrl)).body.result as Record<string, unknown>)
        : {};
      const shaper = this.#steps.find((s) => s.name === step.name);
      results[step.name] = shaper?.result ? shaper.result(result, step, latency) : { ...result, latency };
    }
    return {
      status: 'completed',
      total_latency: Math.round(latency * job.data.steps.length * 1000) / 1000,
      results,
      ...(job.data.autoDelete ? { auto_delete: true } : {}),
    };
  }
}

function legacyExtra(run: LegacyStepRun): Record<string, unknown> {
  return {
    ...(run.extractionIds ? { extraction_ids: run.extractionIds, total_files: run.totalFiles } : {}),
    ...(run.splitInput !== undefined ? { split_input: run.splitInput } : {}),
  };
}

export const pipelineOperation = defineOperation({
  kind: 'pipeline',
  create: (core, modules) => new PipelineOperation(core, modules),
  routes: (modules) => [
    route({
      method: 'POST',
      path: '/pipeline/execute',
      route: 'pipeline',
      readsBody: true,
      // steps.batch_extract.files carries files as base64.
      jsonCarriesFiles: true,
      schema: {
        summary: `Run several steps in one request: ${stepsOf(modules)
          .map((s) => s.name)
          .join(', ')} (sync, or async with async=true)`,
        tags: ['pipeline'],
        body: { content: { 'application/json': { schema: pipelineBody(stepsOf(modules)) } } },
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
          return op.core.submit<PipelineJobData>(op.kind, {
            candidates: pipelineCandidates(call.fields),
            overrides,
            build: () => ({ data, pages: 0 }),
          });
        return { status: 200, body: await op.result({ data }, call.baseUrl) };
      },
    }),
  ],
});
