import type { ApiRouteSpec } from '../api/routes.js';
import type { PulseCore } from '../core/pulse-core.js';
import { ExtractOperation, extractRoutes } from './extract.js';

/** The built-in operations' routes, served by both adapters through the one pipeline. */
export const OPERATION_ROUTES: readonly ApiRouteSpec[] = [...extractRoutes];

/**
 * The built-in operations, each one module: made for a core and registered with it, so its jobs
 * share the lifecycle, cancel, eviction, journal and events. Internal, not public API.
 */
export function builtInOperations(core: PulseCore) {
  const operations = { extract: new ExtractOperation(core) };
  for (const op of Object.values(operations)) core.register(op);
  return operations;
}

export type Operations = ReturnType<typeof builtInOperations>;
