import type { ApiCall, ApiRouteSpec, OperationRoute } from '../api/contract.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import { validationMessage, validatorFor } from '../api/validator.js';
import { errors } from '../core/errors.js';

export type { OperationRoute } from '../api/contract.js';

/**
 * Everything one Pulse operation (extract, split, schema, ...) is, in one module: its routes
 * with their request schemas and fault route names, and the instance made for a core, which
 * normalises requests, produces results from the seed and says what they cost. Listed once in
 * `BUILT_IN_OPERATIONS`; the lifecycle, cancel, eviction, journal, events, API faults, the
 * OpenAPI document and both adapters pick it up from there. Internal, not public API.
 */
export interface OperationModule<Op extends JobKind<never> = JobKind<never>> {
  /** The job kind its async jobs are journalled under; also its key in `ApiCall.operations`. */
  kind: string;
  /** Made once per runtime and registered with its core. */
  create(core: PulseCore): Op;
  routes: OperationRoute<Op>[];
}

/**
 * Declares an operation module (typed: each route's handler gets the module's own instance).
 *
 * @example
 * export const echoOperation = defineOperation({
 *   kind: 'echo',
 *   create: (core) => new EchoOperation(core),
 *   routes: [{ method: 'POST', path: '/echo', route: 'echo', readsBody: true, schema, handle: (call, op) => op.submit(call.fields) }],
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
  return op as unknown as Op;
}

/** An operation's routes as plain API routes: each handler is given the instance of its module from the call. */
export function boundRoutes(module: OperationModule): ApiRouteSpec[] {
  return module.routes.map((route) => ({
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

/** One route of a module, by method and path. */
export function routeOf(module: OperationModule, method: string, path: string): OperationRoute<never> {
  const found = module.routes.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`operation ${module.kind} has no route ${method} ${path}`);
  return found;
}
