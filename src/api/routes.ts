import type { CoreResponse, PulseCore } from '../core/pulse-core.js';
import type { UploadedFile } from '../core/extract-request.js';
import { overridesFrom } from '../core/overrides.js';
import type { ApiRoute } from '../faults/fault-plan.js';
import type { Operations } from '../operations/index.js';
import type { Schema } from './json-schema.js';
import { Type } from './json-schema.js';
import { AsyncSubmissionResponse, CancelResponse, ExtractResponse, extractBody, JobIdParams, JobStatusResponse, WebhookLinkResponse } from './schemas.js';

/** What a route's operation gets: the request's parsed parts, after auth, faults and validation. */
export interface ApiCall {
  core: PulseCore;
  /** The operation modules (extract, ...). */
  operations: Operations;
  params: Record<string, string>;
  /** The validated body fields (`{}` for routes without a body). */
  fields: Record<string, unknown>;
  /** The `file` part of a multipart upload. */
  upload?: UploadedFile;
  header(name: string): string | undefined;
  /** The origin the caller used to reach us, for links put in bodies. */
  baseUrl: string;
  /** The token in the portal link `POST /webhook` returns. */
  portalToken: string;
}

/**
 * One route of Pulse's API, as both adapters serve it: the fastify server registers `schema`
 * (documentation in `/openapi.json`, and the serializer of its answers) and msw matches `path`;
 * the request pipeline validates against the same `schema` and calls `handle`.
 */
export interface ApiRouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path pattern, `:name` for parameters (the syntax fastify and msw share). */
  path: string;
  /** The name fault rules and the request log use. */
  route: ApiRoute;
  schema: {
    summary: string;
    tags: string[];
    deprecated?: boolean;
    consumes?: string[];
    params?: Schema;
    /** Body schema per content type, as fastify and OpenAPI take it. */
    body?: { content: Record<string, { schema: Schema }> };
    response: Record<number, Schema>;
  };
  /** Whether the body is read: JSON, form or multipart into `fields` (and `upload`). */
  readsBody: boolean;
  handle(call: ApiCall): Promise<CoreResponse<unknown>> | CoreResponse<unknown>;
}

const extract = (forceAsync: boolean) => async (c: ApiCall) =>
  c.operations.extract.extract({
    fields: c.fields,
    ...(c.upload ? { upload: c.upload } : {}),
    overrides: overridesFrom(c.header),
    baseUrl: c.baseUrl,
    forceAsync,
  });

const UPLOAD_TYPES = ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'];
const jobId = (c: ApiCall) => c.params.jobId as string;

/** `POST /extract` (sync, or async with `async: true`) and the deprecated `POST /extract_async`. */
export const extractRoutes: ApiRouteSpec[] = [
  {
    method: 'POST',
    path: '/extract',
    route: 'extract',
    readsBody: true,
    schema: {
      summary: 'Extract a document (sync), or submit an async job with async=true',
      tags: ['extract'],
      consumes: UPLOAD_TYPES,
      body: extractBody,
      response: { 200: Type.Union([AsyncSubmissionResponse, ExtractResponse]), 202: AsyncSubmissionResponse },
    },
    handle: extract(false),
  },
  {
    method: 'POST',
    path: '/extract_async',
    route: 'extract',
    readsBody: true,
    schema: {
      summary: 'Submit an async extraction job (deprecated: use /extract with async=true)',
      tags: ['extract'],
      deprecated: true,
      consumes: UPLOAD_TYPES,
      body: extractBody,
      response: { 200: AsyncSubmissionResponse, 202: AsyncSubmissionResponse },
    },
    handle: extract(true),
  },
];

const cancel = { summary: 'Cancel a pending or processing job', tags: ['jobs'], params: JobIdParams, response: { 200: CancelResponse } };

/** Polling, cancelling, and the one-time download of large results. */
export const jobRoutes: ApiRouteSpec[] = [
  {
    method: 'GET',
    path: '/job/:jobId',
    route: 'poll',
    readsBody: false,
    schema: { summary: 'Poll a job', tags: ['jobs'], params: JobIdParams, response: { 200: JobStatusResponse } },
    handle: (c) => c.core.getJob(jobId(c), c.baseUrl),
  },
  { method: 'DELETE', path: '/job/:jobId', route: 'cancel', readsBody: false, schema: cancel, handle: (c) => c.core.cancelJob(jobId(c)) },
  {
    method: 'POST',
    path: '/cancel/:jobId',
    route: 'cancel',
    readsBody: false,
    schema: { ...cancel, summary: 'Cancel a job (deprecated: use DELETE /job/{jobId})', deprecated: true },
    handle: (c) => c.core.cancelJob(jobId(c)),
  },
  {
    method: 'GET',
    path: '/large_results/:jobId',
    route: 'large-results',
    readsBody: false,
    schema: {
      summary: 'Download the full result of a large document (>= 70 pages); works once, then 410',
      tags: ['jobs'],
      params: JobIdParams,
      response: { 200: ExtractResponse },
    },
    handle: (c) => c.operations.extract.largeResult(jobId(c), c.baseUrl),
  },
];

/** `POST /webhook`: the portal link, carrying a token scoped to the portal. */
export const webhookRoutes: ApiRouteSpec[] = [
  {
    method: 'POST',
    path: '/webhook',
    route: 'webhook',
    readsBody: false,
    schema: { summary: 'Create a link to the webhook portal', tags: ['webhooks'], response: { 200: WebhookLinkResponse } },
    handle: (c) => c.core.webhookLink(c.baseUrl, c.portalToken),
  },
];

/** Every route of Pulse's API the mock serves, behind `x-api-key`. */
export const API_ROUTE_SPECS: readonly ApiRouteSpec[] = [...extractRoutes, ...jobRoutes, ...webhookRoutes];
