/**
 * The contract between Pulse's API routes and what serves them: what a route declares
 * (`ApiRouteSpec`) and what its handler gets (`ApiCall`). A leaf: it imports no operation, no
 * adapter and no route table, only types, so operations, the request pipeline and both adapters
 * import it without a cycle. The table of routes is composed where a runtime is built
 * (`operations/index.ts`).
 */
import type { CoreResponse, PulseCore } from '../core/pulse-core.js';
import type { OperationInstances } from '../operations/operation.js';
import type { UploadedFile } from './body.js';
import type { Schema, Static } from './json-schema.js';

/**
 * What a route's handler gets: the request's parsed parts, after auth, faults and validation.
 * `F` and `P` are the body fields and path parameters as the route's schemas type them.
 */
export interface ApiCall<F = Record<string, unknown>, P = Record<string, string>> {
  core: PulseCore;
  /** The operations' instances (extract, ...), by kind. */
  operations: OperationInstances;
  /** Path parameters, validated against the route's `params` schema. */
  params: P;
  query: Record<string, string>;
  /** The body fields, validated against the route's body schema (`{}` for routes without a body). */
  fields: F;
  /** The `file` part of a multipart upload. */
  upload?: UploadedFile;
  header: (name: string) => string | undefined;
  /** The origin the caller used to reach us, for links put in bodies. */
  baseUrl: string;
  /** The token in the portal link `POST /webhook` returns. */
  portalToken: string;
  /**
   * The call is a step of an async pipeline, whose job's outcome was planned for the whole: the
   * step runs as planned to succeed (a sync call plans its own outcome otherwise).
   */
  outcomePlanned?: boolean;
  /** Another route of the same table, by method and path (a pipeline runs its steps through them). */
  routeTo(method: ApiRouteSpec['method'], path: string): ApiRouteSpec;
}

/** A route's schemas: validation by the request pipeline, and its entry in /openapi.json. */
export interface RouteSchema {
  summary: string;
  tags: string[];
  deprecated?: boolean;
  consumes?: string[];
  params?: Schema;
  /** Query parameters the route reads (validated by the pipeline, documented in /openapi.json). */
  querystring?: Schema;
  /** Body schema per content type, as fastify and OpenAPI take it. */
  body?: { content: Record<string, { schema: Schema }> };
  response: Record<number, Schema>;
}

/** The body fields a route's schema admits: any of its content types' (`{}` without a body). */
export type FieldsOf<S> = S extends { body: { content: infer C } }
  ? { [K in keyof C]: C[K] extends { schema: infer B } ? Static<B> : never }[keyof C]
  : Record<string, never>;

/** The path parameters a route's schema admits. */
export type ParamsOf<S> = S extends { params: infer P } ? Static<P> : Record<string, string>;

/**
 * One route of Pulse's API, as both adapters serve it: the fastify server registers `schema`
 * (documentation in `/openapi.json`) and the router matches `path`; the request pipeline
 * validates against the same `schema` and calls `handle`.
 */
export interface ApiRouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Answers a signed link (`?token=`) without the API key; the handler verifies the token. */
  signedLink?: true;
  /** Path pattern, `:name` for parameters (find-my-way's syntax, fastify's router). */
  path: string;
  /** The name fault rules (`scope.routes`) and the request log use; several routes may share one. */
  route: string;
  schema: RouteSchema;
  /** Whether the body is read: JSON, form or multipart into `fields` (and `upload`). */
  readsBody: boolean;
  /**
   * Its JSON carries files as base64 (`/schema`'s `excel_template`, a batch's `files`): JSON
   * bodies get `--body-limit`, like uploads, instead of `--json-body-limit`.
   */
  jsonCarriesFiles?: boolean;
  handle(call: ApiCall): Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
}

/** A route as written, its handler typed by its own schema (see `route`). */
export interface TypedRoute<S extends RouteSchema, Op> extends Omit<ApiRouteSpec, 'handle' | 'schema'> {
  schema: S;
  handle(call: ApiCall<FieldsOf<S>, ParamsOf<S>>, op: Op): Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
}

/** A route of an operation, as the registry keeps it: its handler also gets the operation's instance. */
export interface OperationRoute<Op> extends Omit<ApiRouteSpec, 'handle'> {
  handle(call: ApiCall, op: Op): Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
}

/**
 * Declares a route whose handler sees `call.fields` and `call.params` typed from the route's own
 * schemas. The registry keeps it as an `OperationRoute` (a method's parameters are bivariant, so
 * no cast): sound because the request pipeline validates every call against these same schemas
 * before `handle` runs.
 *
 * @example
 * route({ method: 'POST', path: '/echo', route: 'echo', readsBody: true,
 *   schema: { summary: 'Echo', tags: ['echo'], body: { content: { 'application/json': { schema: EchoBody } } }, response: {} },
 *   handle: (call, op: EchoOperation) => op.submit(call.fields.text) })
 */
export function route<S extends RouteSchema, Op>(spec: TypedRoute<S, Op>): OperationRoute<Op> {
  return spec;
}

/**
 * Declares a route that is no operation's (polling, cancelling, the portal link), its handler's
 * `call` typed by its own schemas as `route`'s are.
 */
export function apiRoute<S extends RouteSchema>(
  spec: Omit<ApiRouteSpec, 'handle' | 'schema'> & {
    schema: S;
    handle(call: ApiCall<FieldsOf<S>, ParamsOf<S>>): Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
  },
): ApiRouteSpec {
  return spec;
}
