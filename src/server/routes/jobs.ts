import type { FastifyPluginAsync } from 'fastify';
import type { PulseCore } from '../../core/pulse-core.js';
import { baseUrlOf } from '../request-context.js';
import { CancelResponse, ExtractResponse, JobIdParams, JobStatusResponse } from '../schemas.js';

/** Polling, cancelling, and the one-time download of large results. */
export const jobRoutes: FastifyPluginAsync<{ core: PulseCore }> = async (app, { core }) => {
  app.get<{ Params: { jobId: string } }>(
    '/job/:jobId',
    { schema: { summary: 'Poll a job', tags: ['jobs'], params: JobIdParams, response: { 200: JobStatusResponse } } },
    async (request) => (await core.getJob(request.params.jobId, baseUrlOf(request))).body,
  );

  const cancel = { summary: 'Cancel a pending or processing job', tags: ['jobs'], params: JobIdParams, response: { 200: CancelResponse } };
  app.delete<{ Params: { jobId: string } }>('/job/:jobId', { schema: cancel }, async (request) => core.cancelJob(request.params.jobId).body);
  app.post<{ Params: { jobId: string } }>(
    '/cancel/:jobId',
    { schema: { ...cancel, summary: 'Cancel a job (deprecated: use DELETE /job/{jobId})', deprecated: true } },
    async (request) => core.cancelJob(request.params.jobId).body,
  );

  app.get<{ Params: { jobId: string } }>(
    '/large_results/:jobId',
    {
      schema: {
        summary: 'Download the full result of a large document (>= 70 pages); works once, then 410',
        tags: ['jobs'],
        params: JobIdParams,
        response: { 200: ExtractResponse },
      },
    },
    async (request) => (await core.getLargeResult(request.params.jobId, baseUrlOf(request))).body,
  );
};
