import type { FastifyPluginAsync } from 'fastify';
import { Type } from '../../api/json-schema.js';
import type { PulseCore } from '../../core/pulse-core.js';
import type { JournalHealth } from '../../state-journal.js';

/** Unauthenticated: liveness for CI wait loops, and the OpenAPI document of every route. */
export const metaRoutes: FastifyPluginAsync<{
  core: PulseCore;
  version: string;
  journalHealth?: (() => JournalHealth) | undefined;
  openApiDocument: () => Promise<unknown>;
}> = async (app, { core, version, journalHealth, openApiDocument }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness (no API key needed)',
        security: [],
        tags: ['mock'],
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
              description: 'degraded: the --state file cannot be written (the mock goes on in memory and retries)',
            }),
            version: Type.String(),
            seed: Type.Integer(),
            jobs: Type.Integer(),
            state: Type.Optional(
              Type.Object({
                writing: Type.Boolean(),
                error: Type.Optional(Type.String()),
                failingSince: Type.Optional(Type.String()),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const j = journalHealth?.();
      return {
        status: j && !j.ok ? ('degraded' as const) : ('ok' as const),
        version,
        seed: core.options.seed,
        jobs: core.jobs.size,
        ...(j
          ? {
              state: j.ok
                ? { writing: true }
                : { writing: false, error: j.error, failingSince: new Date(j.since).toISOString() },
            }
          : {}),
      };
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, () => openApiDocument());
};
