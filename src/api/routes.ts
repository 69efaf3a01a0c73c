import { apiRoute, type ApiRouteSpec } from './contract.js';
import { operationRoutes } from '../operations/index.js';
import { CancelResponse, JobIdParams, JobStatusResponse, WebhookLinkResponse } from './schemas.js';

const cancel = {
  summary: 'Cancel a pending or processing job',
  tags: ['jobs'],
  params: JobIdParams,
  response: { 200: CancelResponse },
};

/** Polling and cancelling: the same for a job of any kind. */
export const jobRoutes: ApiRouteSpec[] = [
  apiRoute({
    method: 'GET',
    path: '/job/:jobId',
    route: 'poll',
    readsBody: false,
    schema: { summary: 'Poll a job', tags: ['jobs'], params: JobIdParams, response: { 200: JobStatusResponse } },
    handle: (c) => c.core.getJob(c.params.jobId, c.baseUrl),
  }),
  apiRoute({
    method: 'DELETE',
    path: '/job/:jobId',
    route: 'cancel',
    readsBody: false,
    schema: cancel,
    handle: (c) => c.core.cancelJob(c.params.jobId),
  }),
  apiRoute({
    method: 'POST',
    path: '/cancel/:jobId',
    route: 'cancel',
    readsBody: false,
    schema: { ...cancel, summary: 'Cancel a job (deprecated: use DELETE /job/{jobId})', deprecated: true },
    handle: (c) => c.core.cancelJob(c.params.jobId),
  }),
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
