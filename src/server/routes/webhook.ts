import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { sameSecret } from '../../core/secrets.js';
import { ADMIN_SESSION_COOKIE } from '../guard.js';
import { portalPage } from '../portal-page.js';

/** The portal page itself (no API key: the link's token is the credential). */
export const portalRoutes: FastifyPluginAsync<{ portalToken: string; adminSession: string }> = async (
  app,
  { portalToken, adminSession },
) => {
  app.get<{ Querystring: { token?: string } }>('/portal', { schema: { hide: true } }, async (request, reply) => {
    if (!sameSecret(String(request.query.token ?? ''), portalToken)) {
      return reply
        .code(401)
        .type('text/html')
        .send(
          page('Portal link expired or invalid', '<p>Ask the API for a fresh link: <code>POST /webhook</code>.</p>'),
        );
    }
    // The page's admin session: sent back only to /_mock by this origin's own pages (SameSite=Strict),
    // unreadable by script (HttpOnly). The link's token opens the page; it is no admin token.
    // Only the page's own script runs (its nonce), whatever a payload, a response body or a
    // header value carried into the page: escaping is the first guard, this the second.
    const nonce = randomBytes(16).toString('base64');
    return reply
      .type('text/html')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
      )
      .header('set-cookie', `${ADMIN_SESSION_COOKIE}=${adminSession}; Path=/_mock; HttpOnly; SameSite=Strict`)
      .send(portalPage(nonce));
  });
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1f2933}code{background:#eef2f7;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}
