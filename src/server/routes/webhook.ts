import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { portalPage } from '../portal-page.js';

/** The portal page itself (no API key: the link's token is the credential). */
export const portalRoutes: FastifyPluginAsync<{ portalToken: string }> = async (app, { portalToken }) => {
  app.get<{ Querystring: { token?: string } }>('/portal', { schema: { hide: true } }, async (request, reply) => {
    const given = Buffer.from(String(request.query.token ?? ''));
    const expected = Buffer.from(portalToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).type('text/html').send(page('Portal link expired or invalid', '<p>Ask the API for a fresh link: <code>POST /webhook</code>.</p>'));
    }
    return reply.type('text/html').header('cache-control', 'no-store').send(portalPage());
  });
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1f2933}code{background:#eef2f7;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}
