import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import type { ApiRoute } from '../faults/fault-plan.js';
import type { Runtime } from '../runtime.js';

/** Which Pulse route a request is, by its fastify route pattern. */
export function routeName(request: FastifyRequest): ApiRoute | undefined {
  const url = request.routeOptions.url ?? '';
  if (url === '/extract' || url === '/extract_async') return 'extract';
  if (url === '/job/:jobId') return request.method === 'DELETE' ? 'cancel' : 'poll';
  if (url === '/cancel/:jobId') return 'cancel';
  if (url === '/webhook') return 'webhook';
  if (url === '/large_results/:jobId') return 'large-results';
  return undefined;
}

const applied = new WeakMap<FastifyRequest, string>();

/**
 * API faults (429/500/503, latency) on Pulse's routes, decided by the runtime's fault engine,
 * and the request log that scenarios read. Registered inside the API plugin, after auth.
 */
export function registerApiFaultsAndLog(api: FastifyInstance, runtime: Runtime): void {
  // Callback-style hooks (no promise per request): these run on every API call.
  api.addHook('preHandler', (request, _reply, done) => {
    const route = routeName(request);
    if (!route) return done();
    const d = runtime.faults.forApi(route);
    if (d.applied.length) applied.set(request, d.applied.join('; '));
    const finish = () => done(d.error ? errors.injected(d.error.status, d.error.retryAfterS) : undefined);
    if (d.latencyMs) setTimeout(finish, d.latencyMs);
    else finish();
  });
  api.addHook('onResponse', (request, reply, done) => {
    const route = routeName(request) ?? 'other';
    const jobId = (request.params as { jobId?: string } | undefined)?.jobId;
    const fault = applied.get(request);
    const q = request.url.indexOf('?');
    // One shape for every record (absent fields are undefined): this runs on every API call.
    runtime.requests.add({
      at: runtime.clock.now(),
      method: request.method,
      route,
      path: q < 0 ? request.url : request.url.slice(0, q),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      jobId: jobId || undefined,
      fault,
    });
    done();
  });
}
