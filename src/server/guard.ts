/**
 * Who may drive the mock through a browser. The mock runs on developers' laptops beside a
 * browser, with real-looking secrets in its endpoints; a web page must not read or change them.
 * These checks are the server adapter's: msw requests never come from a browser tab.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import { sameSecret } from '../core/secrets.js';

/** The cookie the portal page's answer sets: the page's admin session (HttpOnly, SameSite=Strict, only sent to /_mock). */
export const ADMIN_SESSION_COOKIE = 'pulse_mock_admin';

/** Whether the mock listens on loopback only (`--host`): then only this machine can reach it. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The name in a Host header, without its port, lower-case (`[::1]:4050` -> `[::1]`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * Whether a Host may be answered while the mock listens on loopback: `localhost` (and its
 * subdomains, which resolve to loopback), a loopback address, or a name the user allowed. A
 * DNS-rebinding page reaches the mock with its own name in Host, and is refused.
 */
export function hostAllowed(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (host === undefined) return true; // HTTP/1.0 without Host: not a browser
  const name = hostName(host);
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(name) ||
    name === '[::1]' ||
    allowed.has(name)
  );
}

/**
 * Whether a request comes from another site's page: a browser says so in `Sec-Fetch-Site`, or
 * sends an `Origin` that is not the mock's own. Non-browser clients send neither.
 */
export function fromAnotherSite(
  headers: { origin?: string | undefined; 'sec-fetch-site'?: string | undefined; host?: string | undefined },
  protocol: string,
): boolean {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = headers.origin;
  return origin !== undefined && origin !== `${protocol}://${headers.host ?? ''}`;
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Refuses, on every route, a Host that is not loopback's or allowed: DNS rebinding. Only while listening on loopback. */
export function registerHostGuard(app: FastifyInstance, allowedHosts: readonly string[]): void {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  // This runs on every request, and a client sends the same Host every time: remember the
  // answers for the few Host values seen, so only a new one is parsed (bounded: a flood of
  // made-up names is parsed each time, never stored past the cap).
  const known = new Set<string>();
  app.addHook('onRequest', (request, _reply, done) => {
    const host = request.headers.host;
    if (host !== undefined && known.has(host)) return done();
    if (!hostAllowed(host, allowed)) return done(errors.hostNotAllowed(host ?? ''));
    if (host !== undefined && known.size < 64) known.add(host);
    done();
  });
}

export interface AdminAccess {
  /** The admin token (banner, JSON ready line, facade): wanted beyond loopback. */
  adminToken: string;
  /** The portal page's session, set as a cookie by the page's answer: as good as the admin token. */
  adminSession: string;
  /** Whether the mock listens beyond loopback. */
  requireToken: boolean;
}

/**
 * Who may use the admin API: never a page of another site (403, whatever the method, so no
 * state changes cross-site, body or not); beyond loopback, only a holder of the admin token or
 * of the portal page's session.
 */
export function checkAdminAccess(request: FastifyRequest, access: AdminAccess): void {
  if (fromAnotherSite(request.headers, request.protocol)) throw errors.crossSiteRefused(request.headers.origin);
  if (!access.requireToken) return;
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const token = bearer ?? (request.headers['x-pulse-mock-admin-token'] as string | undefined);
  if (
    token !== undefined
      ? sameSecret(token, access.adminToken)
      : sameSecret(cookieValue(request.headers.cookie, ADMIN_SESSION_COOKIE), access.adminSession)
  )
    return;
  throw errors.adminTokenRequired();
}
