import Router from 'find-my-way';
import { errors, PulseMockError } from '../core/errors.js';
import type { ApiRouteSpec } from './contract.js';

/** What the router found for a method and path: a route and its parameters, or Pulse's refusal. */
export type RouteMatch = { spec: ApiRouteSpec; params: Record<string, string> } | { error: PulseMockError };

const METHODS = ['GET', 'POST', 'DELETE'] as const;

/**
 * The one router of Pulse's API, used by the fastify server and the msw handlers alike (it is
 * fastify's own, find-my-way), so that a URL is answered the same way whichever adapter serves it.
 * Pulse documents lower-case paths with no trailing slash and no HEAD; the mock matches them
 * exactly (`/JOB/x`, `/extract/` are 404s that name the path meant), and answers a known path
 * with another method, HEAD included, `405 METHOD_NOT_ALLOWED` with `Allow`: a HEAD must not
 * spend a single-use link or run an operation. Being strict shows a URL-building bug in a test
 * rather than against Pulse.
 */
export class ApiRouter {
  readonly #exact = Router({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false });
  /** The same routes matched loosely, only to name the path a near miss meant. */
  readonly #loose = Router({ caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });

  readonly #byPattern = new Map<string, ApiRouteSpec>();

  constructor(specs: readonly ApiRouteSpec[]) {
    for (const spec of specs) {
      this.#byPattern.set(`${spec.method} ${spec.path}`, spec);
      this.#exact.on(spec.method, spec.path, () => undefined, spec);
      this.#loose.on(spec.method, spec.path, () => undefined, spec);
    }
  }

  /** A route by its method and path pattern (`POST /extract`), for one route that calls another. */
  byPattern(method: ApiRouteSpec['method'], pattern: string): ApiRouteSpec {
    const spec = this.#byPattern.get(`${method} ${pattern}`);
    if (!spec) throw new Error(`no route ${method} ${pattern} in this table`);
    return spec;
  }

  /** The route for `method` and `path` (no query string), or the error Pulse's host answers. */
  find(method: string, path: string): RouteMatch {
    const found = this.#exact.find(method as Router.HTTPMethod, path);
    if (found) return { spec: found.store as ApiRouteSpec, params: found.params as Record<string, string> };
    const allowed = METHODS.filter((m) => this.#exact.find(m, path));
    if (allowed.length) return { error: errors.methodNotAllowed(method, path, allowed) };
    const near = [method, ...METHODS]
      .filter((m): m is (typeof METHODS)[number] => (METHODS as readonly string[]).includes(m))
      .map((m) => this.#loose.find(m, path))
      .find((f) => f !== null);
    return {
      error: errors.routeNotFound(method, path, near ? meantPath(near.store as ApiRouteSpec, path) : undefined),
    };
  }
}

/** The path a near miss meant: the route's pattern with the caller's own parameter values. */
function meantPath(spec: ApiRouteSpec, path: string): string {
  const given = path.split('/').filter((s) => s !== '');
  return spec.path
    .split('/')
    .map((part, i) => (part.startsWith(':') ? (given[i - 1] ?? part) : part))
    .join('/');
}
