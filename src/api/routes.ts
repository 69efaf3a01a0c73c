import type { CoreResponse, PulseCore } from '../core/pulse-core.js';
import type { UploadedFile } from './body.js';
import { operationRoutes } from '../operations/index.js';
import type { OperationInstances } from '../operations/operation.js';
import type { Schema } from './json-schema.js';
import { CancelResponse, JobIdParams, JobStatusResponse, WebhookLinkResponse } from './schemas.js';

/** What a route's operation gets: the request's parsed parts, after auth, faults and validation. */
export interface ApiCall {
  core: PulseCore;
  /** The operations' instances (extract, ...), by kind. */
  operations: OperationInstances;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The validated body fields (`{}` for routes without a body). */
  fields: Record<string, unknown>;
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
}

/**
 * One route of Pulse's API, as both adapters serve it: the fastify server registers `schema`
 * (documentation in `/openapi.json`, and the serializer of its answers) and msw matches `path`;
 * the request pipeline validates against the same `schema` and calls `handle`.
 */
export interface ApiRouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Answers a signed link (`?token=`) without the API key; the handler verifies the token. */
  signedLink?: true;
  /** Path pattern, `:name` for parameters (the syntax fastify and msw share). */
  path: string;
  /** The name fault rules (`scope.routes`) and the request log use; several routes may share one. */
  route: string;
  schema: {
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
  };
  /** Whether the body is read: JSON, form or multipart into `fields` (and `upload`). */
  readsBody: boolean;
  /**
   * Its JSON carries files as base64 (`/schema`'s `excel_template`, a batch's `files`): JSON
   * bodies get `--body-limit`, like uploads, instead of `--json-body-limit`.
   */
  jsonCarriesFiles?: boolean;
  handle: (call: ApiCall) => Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
}

/** The `:jobId` path parameter (validated by the route's params schema). */
const jobId = (c: ApiCall) => c.params.jobId as string;

const cancel = {
  summary: 'Cancel a pending or processing job',
  tags: ['jobs'],
  params: JobIdParams,
  response: { 200: CancelResponse },
};

/** Polling and cancelling: the same for a job of any kind. */
export const jobRoutes: ApiRouteSpec[] = [
  {
    method: 'GET',
    path: '/job/:jobId',
    route: 'poll',
    readsBody: false,
    schema: { summary: 'Poll a job', tags: ['jobs'], params: JobIdParams, response: { 200: JobStatusResponse } },
    handle: (c) => c.core.getJob(jobId(c), c.baseUrl),
  },
  {
    method: 'DELETE',
    path: '/job/:jobId',
    route: 'cancel',
    readsBody: false,
    schema: cancel,
    handle: (c) => c.core.cancelJob(jobId(c)),
  },
  {
    method: 'POST',
    path: '/cancel/:jobId',
    route: 'cancel',
    readsBody: false,
    schema: { ...cancel, summary: 'Cancel a job (deprecated: use DELETE /job/{jobId})', deprecated: true },
    handle: (c) => c.core.cancelJob(jobId(c)),
  },
];

/** `POST /webhook`: the portal link, carrying a token scoped to the portal. */
export const webhookRoutes: ApiRouteSpec[] = [
  {
    method: 'POST',
    path: '/webhook',
    route: 'webhook',
    readsBody: false,
    schema: {
      summary: 'Create a link to the webhook portal',
      tags: ['webhooks'],
      response: { 200: WebhookLinkResponse },
    },
    handle: (c) => c.core.webhookLink(c.baseUrl, c.portalToken),
  },
];

/**
 * Every route of Pulse's API the mock serves, behind `x-api-key`: the operations' own, then the
 * shared ones. Read when an adapter is built, so it always reflects the built-in list.
 */
export function apiRouteSpecs(): ApiRouteSpec[] {
  return [...operationRoutes(), ...jobRoutes, ...webhookRoutes];
}

/** The route names fault rules may scope to (`scope.routes`), in the order of the routes. */
export function apiRouteNames(): string[] {
  return [...new Set(apiRouteSpecs().map((s) => s.route))];
}
