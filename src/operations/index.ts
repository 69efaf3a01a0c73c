import type { ApiRouteSpec } from '../api/contract.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import { batchOperation } from './batch.js';
import { extractOperation } from './extract/index.js';
import { formOperation } from './form.js';
import { pipelineOperation } from './pipeline.js';
import { schemaOperation } from './schema.js';
import { splitOperation } from './split.js';
import { tablesOperation } from './tables.js';
import { boundRoutes, type OperationInstances, type OperationModule } from './operation.js';

/**
 * The built-in operations, each one module. Adding an operation is adding it here: its routes,
 * fault route names, jobs and results are picked up by everything else. Internal, not public
 * API (a test may push a test-only module here and take it out after).
 */
export const BUILT_IN_OPERATIONS: OperationModule[] = [
  extractOperation,
  splitOperation,
  schemaOperation,
  tablesOperation,
  batchOperation,
  pipelineOperation,
  formOperation,
];

/** The built-in operations' routes, served by both adapters through the one pipeline. */
export function operationRoutes(): ApiRouteSpec[] {
  return BUILT_IN_OPERATIONS.flatMap((m) => boundRoutes(m, BUILT_IN_OPERATIONS));
}

/**
 * Makes every built-in operation for a core and registers it, so its jobs share the lifecycle,
 * cancel, eviction, journal and events.
 */
export function builtInOperations(core: PulseCore): OperationInstances {
  const instances = new Map<string, JobKind<never>>();
  for (const module of BUILT_IN_OPERATIONS) {
    const op = module.create(core, BUILT_IN_OPERATIONS);
    // The kind is the module's: its jobs are journalled, batched and routed by it.
    if (op.kind !== module.kind)
      throw new Error(
        `[pulse-mock] operation module "${module.kind}" made an instance of kind "${op.kind}"; they must be one`,
      );
    core.register(op);
    instances.set(module.kind, op);
  }
  return instances;
}

/** Each operation's preset entries (kind and schema), for the config file's JSON Schema. */
export function presetKinds(): { kind: string; schema: Record<string, unknown> }[] {
  return BUILT_IN_OPERATIONS.flatMap((m) => (m.presets ? [{ kind: m.presets.kind, schema: m.presets.schema }] : []));
}
