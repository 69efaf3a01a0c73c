import type { FastifyPluginAsync } from 'fastify';
import { Type } from '../../api/json-schema.js';
import type { PulseCore } from '../../core/pulse-core.js';

/** Unauthenticated: liveness for CI wait loops, and the OpenAPI document of every route. */
export const metaRoutes: FastifyPluginAsync<{ core: PulseCore; version: string }> = async (app, { core, version }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness (no API key needed)',
        security: [],
        tags: ['mock'],
        response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String(), seed: Type.Integer(), jobs: Type.Integer() }) },
      },
    },
    async () => ({ status: 'ok' as const, version, seed: core.options.seed, jobs: core.jobs.size }),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
