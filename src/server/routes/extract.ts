import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../json-schema.js';
import type { PulseCore } from '../../core/pulse-core.js';
import { overridesFrom } from '../../core/overrides.js';
import { baseUrlOf, headerValue, uploads } from '../request-context.js';
import { AsyncSubmissionResponse, ExtractResponse, extractBody } from '../schemas.js';

/** `POST /extract` (sync, or async with `async: true`) and the deprecated `POST /extract_async`. */
export const extractRoutes: FastifyPluginAsync<{ core: PulseCore }> = async (app, { core }) => {
  const handle = (forceAsync: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const upload = uploads.get(request)?.get('file');
    const res = await core.extract({
      fields,
      ...(upload ? { upload } : {}),
      overrides: overridesFrom((name) => headerValue(request, name)),
      baseUrl: baseUrlOf(request),
      forceAsync,
    });
    return reply.code(res.status).send(res.body);
  };

  app.post(
    '/extract',
    {
      schema: {
        summary: 'Extract a document (sync), or submit an async job with async=true',
        tags: ['extract'],
        consumes: ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'],
        body: extractBody,
        response: { 200: Type.Union([AsyncSubmissionResponse, ExtractResponse]), 202: AsyncSubmissionResponse },
      },
    },
    handle(false),
  );

  app.post(
    '/extract_async',
    {
      schema: {
        summary: 'Submit an async extraction job (deprecated: use /extract with async=true)',
        tags: ['extract'],
        deprecated: true,
        consumes: ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'],
        body: extractBody,
        response: { 200: AsyncSubmissionResponse, 202: AsyncSubmissionResponse },
      },
    },
    handle(true),
  );
};
