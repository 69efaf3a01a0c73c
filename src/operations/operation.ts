import { unchecked } from '../unchecked.js';
import type { ApiCall, ApiRouteSpec, OperationRoute } from '../api/contract.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, JobSubmission, PulseCore } from '../core/pulse-core.js';
import { Type, type ObjectOf, type Schema } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import type { ExtractionRef } from './stored.js';
import { validationMessage, validatorFor } from '../api/validator.js';
import { errors } from '../core/errors.js';
import { ConfigError } from '../config-error.js';
import { pathLabel, settingsChecker } from '../settings-schema.js';

export type { OperationRoute } from '../api/contract.js';

/**
 * Everything one Pulse operation (extract, split, schema, ...) is, in one module: its routes
 * with their request schemas and fault route names, the instance made for a core (which
 * normalises requests, produces results from the seed and says what they cost), and what else it
 * takes part in: a batch (`batch`), a pipeline's steps (`pipelineSteps`). Listed once in
 * `BUILT_IN_OPERATIONS`; the lifecycle, cancel, eviction, journal, events, API faults, the
 * OpenAPI document, `/batch/{kind}`, `/pipeline/execute` and both adapters pick it up from there,
 * and nothing shared switches on its kind. Internal, not public API.
 */
export interface OperationModule<Op extends JobKind<never> = JobKind<never>> {
  /** The job kind its async jobs are journalled under; also its key in `ApiCall.operations`. */
  kind: string;
  /** Made once per runtime and registered with its core; `modules` are all the runtime's. */
  create(core: PulseCore, modules: readonly OperationModule[]): Op;
  /** Its routes; a function of every module for routes made from the others' (a batch's). */
  routes: OperationRoute<Op>[] | ((modules: readonly OperationModule[]) => OperationRoute<Op>[]);
  /** `POST /batch/{kind}`: the operation run over many items, a child job each. */
  batch?: BatchCapability<Op>;
  /** The steps of `POST /pipeline/execute` it runs (extract runs two: `extract`, `batch_extract`). */
  pipelineSteps?: PipelineStep[];
  /** Saved configurations (the config file's `presets` of its `kind`) its requests name by id. */
  presets?: PresetCapability;
}

/**
 * Saved configurations of an operation: entries of the config file's `presets` whose `kind` is
 * this one's, each validated against `schema` when the mock starts, named in a request by `field`.
 */
export interface PresetCapability<P = Record<string, unknown>> {
  /** The entries' `kind` in the config file (`extraction`, `split`, `schema`). */
  kind: string;
  /** The request field naming one (`split_config_id`). */
  field: string;
  /** What an entry holds besides `id` and `kind`. */
  schema: Schema<P>;
}

/** A saved configuration of `capability`'s kind by its id, as its schema types it; or a 404 naming the id and the field. */
export function presetOf<P>(core: PulseCore, capability: PresetCapability<P>, id: string): P {
  // The entries were validated against `capability.schema` when the runtime was made (`checkPresets`).
  return core.preset(capability.kind, capability.field, id) as P;
}

/** Each preset schema's checker, made on first use (no type coercion: the config file is JSON). */
const presetCheckers = new WeakMap<object, (value: unknown) => ReturnType<ReturnType<typeof settingsChecker>>>();

/** Every entry of `presets` checked against its operation's preset schema: an unknown kind or a bad entry is one line naming it. */
export function checkPresets(
  presets: readonly { id: string; kind: string; [k: string]: unknown }[],
  modules: readonly OperationModule[],
): void {
  const kinds = modules.flatMap((m) => (m.presets ? [m.presets] : []));
  presets.forEach((preset, i) => {
    const capability = kinds.find((k) => k.kind === preset.kind);
    if (!capability)
      throw new ConfigError(
        `invalid presets[${i}].kind: "${preset.kind}"; expected one of ${kinds.map((k) => k.kind).join(', ')}`,
      );
    let check = presetCheckers.get(capability.schema);
    if (!check) presetCheckers.set(capability.schema, (check = settingsChecker(capability.schema)));
    const { id: _id, kind: _kind, ...fields } = preset;
    const checked = check(fields);
    if (!checked.ok)
      throw new ConfigError(
        `invalid ${pathLabel('presets', [i, ...checked.problem.path])} (preset "${preset.id}"): ${checked.problem.message}`,
      );
  });
}

/** What a batch's route gives an operation's `items`, besides the call. */
export interface BatchContext {
  /** The extractions a call names by `batch_extract_id` (a batch extract's) or `extraction_ids`, exactly one. */
  extractions(call: ApiCall<{ batch_extract_id?: string; extraction_ids?: string[] }>): ExtractionRef[];
  /** The splits a batch split produced (its completed children), or 404 naming `batch_split_id`. */
  splitsOf(batchSplitId: string): string[];
}

/** One child job of a batch, as `items` makes it. */
export interface BatchChild {
  kind: string;
  submission: JobSubmission<unknown>;
}

/** A batch's items: a child job each, the names they were made from, and the 202's count key if not the usual. */
export interface BatchItems {
  children: BatchChild[];
  inputs: string[];
  total?: string;
}

/**
 * An operation run over many items with `POST /batch/{kind}`, under a parent job (`batch.ts`
 * makes the route, the parent and its progress). The body is `properties` plus the `output` and
 * `workers` every batch takes.
 */
export interface BatchCapability<Op> {
  /** The key the 202 counts items under (`total_files`, `total_extractions`). */
  total: string;
  properties: Record<string, Schema>;
  /** Its JSON carries files as base64 (a batch extract's `input.files`). */
  jsonCarriesFiles?: boolean;
  items(call: ApiCall, op: Op, batch: BatchContext): Promise<BatchItems> | BatchItems;
  /** The id a completed child's result is known by among the batch's items (`{ split_id }`). */
  resultId(child: JobRecord): Record<string, string>;
}

/**
 * Declares a batch capability whose `items` sees `call.fields` typed from `properties` (and the
 * `output` and `workers` every batch has).
 */
export function batchCapability<P extends Record<string, Schema>, Op>(capability: {
  total: string;
  properties: P;
  jsonCarriesFiles?: boolean;
  items(call: ApiCall<ObjectOf<P> & BatchCommonFields>, op: Op, batch: BatchContext): Promise<BatchItems> | BatchItems;
  resultId(child: JobRecord): Record<string, string>;
}): BatchCapability<Op> {
  return capability;
}

/** A batch's `extraction_ids` (or `split_ids`): up to 1,000. */
export const BatchIds = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), {
  minItems: 1,
  maxItems: 1000,
});

/** The fields of every batch body. */
export type BatchCommonFields = {
  output: { s3_prefix?: string; local_path?: string };
  workers?: number;
};

/** One child of a batch (its submission's outcome is planned on `name`, like a single call's). */
export const batchChild = <D>(kind: string, name: string, data: D, pages: number): BatchChild => ({
  kind,
  submission: { candidates: [name], build: () => ({ data, pages }) },
});

/** Stands for an id a pipeline step will make, while the whole chain is checked before it runs. */
export const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/** What the steps of a pipeline made so far, for the steps after them. */
export interface PipelineMade {
  extractionId?: string;
  extractionIds?: string[];
  splitId?: string;
  topics: string[];
}

/** What a pipeline keeps of one step it ran, to make its result on read. */
export interface PipelineStepRun {
  name: string;
  /** The job holding the step's result, when it has one. */
  jobId?: string;
  /** Anything else its result shows (a batch's ids, a split's topics). */
  extra?: Record<string, unknown>;
}

/**
 * One step of `POST /pipeline/execute`, run through its operation's own route. The chains a
 * pipeline takes are those the steps' `follows` allow, in the order of `steps`' keys.
 */
export interface PipelineStep {
  /** Its key in `steps`. */
  name: string;
  /** The steps it may come right after; none: it starts a pipeline. */
  follows: string[];
  /** What it will make, as stand-ins, while the whole chain is checked before anything runs. */
  plans(config: Record<string, unknown>): Partial<PipelineMade>;
  /** The requests it makes of its operation's routes, from its config and what the steps before made. */
  requests(
    config: Record<string, unknown>,
    fileUrl: string | undefined,
    made: PipelineMade,
  ): { path: string; fields: Record<string, unknown> }[];
  /** What its answers made, for the steps after it (into `made`) and the pipeline's record. */
  collect(
    bodies: Record<string, unknown>[],
    config: Record<string, unknown>,
    made: PipelineMade,
    call: ApiCall,
  ): PipelineStepRun;
  /** Its entry in the pipeline's `results`, from its job's result (default: that result and `latency`). */
  result?(run: Record<string, unknown>, step: PipelineStepRun, latency: number): Record<string, unknown>;
}

/**
 * Declares an operation module (typed: each route's handler gets the module's own instance).
 *
 * @example
 * export const echoOperation = defineOperation({
 *   kind: 'echo',
 *   create: (core) => new EchoOperation(core),
 *   routes: [route({ method: 'POST', path: '/echo', route: 'echo', readsBody: true, schema, handle: (call, op: EchoOperation) => op.submit(call.fields) })],
 * });
 */
export function defineOperation<Op extends JobKind<never>>(module: OperationModule<Op>): OperationModule {
  return module;
}

/** The operations' instances for one runtime, by kind. */
export type OperationInstances = ReadonlyMap<string, JobKind<never>>;

/** Another operation's instance, for one that reads its runs (split reads extractions, ...). */
export function operationOf<Op>(call: ApiCall, kind: string): Op {
  const op = call.operations.get(kind);
  if (!op) throw new Error(`operation ${kind} is not registered with this runtime`);
  // Registered under its module's kind by builtInOperations: the instance that module's create made.
  return unchecked<Op>(op);
}

/** An operation's routes as plain API routes: each handler is given the instance of its module from the call. */
export function boundRoutes(module: OperationModule, modules: readonly OperationModule[]): ApiRouteSpec[] {
  return routesOf(module, modules).map((route) => ({
    ...route,
    handle: (call: ApiCall) => route.handle(call, operationOf(call, module.kind)),
  }));
}

/**
 * Checks fields an operation hands to another one (a batch's `extract_options`, a pipeline's
 * step) against that route's own JSON body schema, the one the request pipeline validates
 * requests with: the same limits whichever way the fields arrive. A 400 naming `label` otherwise.
 */
export function checkAsRoute(spec: Pick<ApiRouteSpec, 'schema'>, fields: unknown, label: string): void {
  const schema = spec.schema.body?.content['application/json']?.schema;
  if (!schema) return;
  const validate = validatorFor(schema);
  if (!validate(fields))
    throw errors.invalidBody(`Invalid ${label}: ${validationMessage(label, validate.errors)}`, { field: label });
}

/** A module's routes, made from the other modules where they depend on them. */
function routesOf(module: OperationModule, modules: readonly OperationModule[]): OperationRoute<never>[] {
  return typeof module.routes === 'function' ? module.routes(modules) : module.routes;
}

/** One route of a module, by method and path. */
export function routeOf(module: OperationModule, method: string, path: string): OperationRoute<never> {
  const found = routesOf(module, []).find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`operation ${module.kind} has no route ${method} ${path}`);
  return found;
}
