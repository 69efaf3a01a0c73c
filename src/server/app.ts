import { unchecked } from '../unchecked.js';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { reportInternalError, RequestPipeline } from '../api/pipeline.js';
import { ApiRouter } from '../api/router.js';
import { apiRouteSpecs } from '../api/routes.js';
import { lazyValidator } from '../api/validator.js';
import { errors } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { adminRoutes } from './routes/admin.js';
import { registerErrorHandling } from './error-handler.js';
import { registerHostGuard, type AdminAccess } from './guard.js';
import { baseUrlOf, headerValue } from './request-context.js';
import { metaRoutes } from './routes/meta.js';
import { portalRoutes } from './routes/webhook.js';
import { VERSION } from '../version.js';
import { errorResponses, ErrorBody } from '../api/schemas.js';

function withErrorResponses(
  schema: Record<string, unknown> | undefined,
  url: string,
): Record<string, unknown> | undefined {
  if (!schema || url === '/health' || url === '/openapi.json' || url === '/portal') return schema;
  const errs = url.startsWith('/_mock/')
    ? { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
    : { ...errorResponses, ...(url.startsWith('/large_results') ? { 410: ErrorBody } : {}) };
  return { ...schema, response: { ...errs, ...(schema.response as object | undefined) } };
}

export interface AppOptions {
  runtime: Runtime;
  /** Secret in the portal link: it opens the page, nothing else; generated when not given. */
  portalToken?: string;
  /** The admin API's token beyond loopback; generated when not given. */
  adminToken?: string;
  /** Whether the mock listens on loopback (default): Host is checked; else the admin token is wanted. */
  loopback?: boolean;
  /** Host names answered on loopback besides localhost and loopback addresses. */
  allowedHosts?: readonly string[];
  /** One line per request, e.g. for the CLI's console. */
  onRequestLog?: (line: { method: string; url: string; status: number; ms: number }) => void;
  onInternalError?: (err: unknown) => void;
  /** Internal: the app built only to have @fastify/swagger document its routes (see `openApiDocument`). */
  forDocument?: boolean;
}

/** Fastify's default serializer factory; the app registers no shared schemas. */
const buildSerializer = SerializerSelector()({}, {});

/**
 * The fastify adapter over the core. Returns the app without listening: tests call
 * `app.inject()`, the CLI and `createPulseMock` call `listen()`.
 */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { runtime } = opts;
  const { core } = runtime;
  // Fastify parses only the mock's own JSON (admin API); Pulse's routes read their bodies in the pipeline, with their own limits.
  const bodyLimit = runtime.config.jsonBodyLimit;
  const portalToken = opts.portalToken ?? randomBytes(18).toString('base64url');
  const loopback = opts.loopback ?? true;
  const access: AdminAccess = {
    adminToken: opts.adminToken ?? randomBytes(18).toString('base64url'),
    adminSession: randomBytes(24).toString('base64url'),
    requireToken: !loopback,
  };
  const app = Fastify({
    logger: false,
    bodyLimit,
    forceCloseConnections: true,
    // A request not received whole in time is answered 408 and closed (a body that never ends
    // is not held forever); longer than the longest injected API latency.
    requestTimeout: runtime.config.requestTimeoutMs,
    // Node checks the request timeout on an interval (30 s by default): check often enough for it to hold.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: runtime.config.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(30_000, Math.max(250, runtime.config.requestTimeoutMs / 4)),
        },
        handler,
      ),
    // What Node's HTTP parser refuses before fastify sees a request (a body not received whole
    // within --request-timeout-ms, a malformed request line) is answered in Pulse's shape too.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const e =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? errors.requestTimeout(runtime.config.requestTimeoutMs)
          : errors.invalidBody(`Malformed HTTP request: ${err.message}`);
      const body = JSON.stringify(e.toBody());
      socket.end(
        `HTTP/1.1 ${e.status} ${e.status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    return503OnClosing: true,
    routerOptions: { maxParamLength: 500 },
    // Errors fastify raises before routing (an undecodable URL) get Pulse's shape too.
    frameworkErrors: (error, _request, reply) => {
      // fastify types this reply with route generics that no status or body satisfies here.
      void unchecked<{ code(n: number): { send(b: unknown): void } }>(reply)
        .code(400)
        .send(errors.invalidParameter('url', `Bad request URL: ${error.message}`).toBody());
    },
  });

  // DNS rebinding: on loopback, a request naming another host is no request of the developer's.
  if (loopback) registerHostGuard(app, opts.allowedHosts ?? []);

  // The mock's own routes (admin, portal) are validated with the request pipeline's ajv settings,
  // each schema compiled on the route's first request (compiling all up front slowed start-up).
  app.setValidatorCompiler(({ schema }) => lazyValidator(schema));
  // Response serializers likewise: fastify's own (fast-json-stringify), each built on the route's
  // first answer. Built up front, they were a good part of an in-process start (bench/RESULTS.md).
  app.setSerializerCompiler((route) => {
    let serialize: ((doc: unknown) => string) | undefined;
    return (doc) => (serialize ??= buildSerializer({ ...route, httpStatus: route.httpStatus ?? '200' }))(doc);
  });
  app.removeContentTypeParser('text/plain');
  const onInternalError = opts.onInternalError ?? reportInternalError;
  registerErrorHandling(app, { bodyLimit, onInternalError });

  if (opts.forDocument) {
    const { default: swagger } = await import('../vendor/swagger.js');
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Pulse API (pulse-mock)',
          version: VERSION,
          description:
            'The Pulse document-extraction API as served by pulse-mock. Every route but /health needs x-api-key.',
        },
        components: { securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
        security: [{ ApiKeyAuth: [] }],
      },
      // Error bodies are documented here rather than declared on each route: a response schema
      // per status per route was hundreds of serializers compiled at start-up for one shape.
      transform: ({ schema, url }) => ({
        schema: withErrorResponses(schema as Record<string, unknown>, url) as typeof schema,
        url,
      }),
    });
  }
  // /openapi.json is made on its first request by a second app, built the same way with
  // @fastify/swagger in: loading swagger (and its YAML and resolver dependencies) at start-up was
  // a good part of an in-process start (bench/RESULTS.md), for a page few runs ask for.
  let document: Promise<unknown> | undefined;
  const openApiDocument = () =>
    (document ??= buildApp({ ...opts, forDocument: true, onRequestLog: undefined })
      .then(async (docApp) => {
        await docApp.ready();
        // @fastify/swagger, registered on this app, decorated it with swagger().
        return (docApp as FastifyInstance & { swagger(): unknown }).swagger();
      })
      .catch((e: unknown) => {
        document = undefined; // the next request tries again
        throw e;
      }));
  if (opts.onRequestLog) {
    const log = opts.onRequestLog;
    app.addHook('onResponse', (request, reply, done) => {
      log({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
      done();
    });
  }

  await app.register(metaRoutes, { core, version: VERSION, journalHealth: runtime.journalHealth, openApiDocument });
  await app.register(portalRoutes, { portalToken, adminSession: access.adminSession });
  await app.register(adminRoutes, { runtime, access });
  // Pulse's API: fastify routes the request and hands it, body unread, to the one pipeline the
  // msw handlers use too (auth, faults, parsing, validation, the operation, errors, request log).
  // The route schemas are registered for /openapi.json.
  const specs = apiRouteSpecs();
  const pipeline = new RequestPipeline(runtime, { portalToken, onInternalError, router: new ApiRouter(specs) });
  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    api.setValidatorCompiler(() => () => true);
    // The pipeline's answer is final (what msw sends too): JSON.stringify it as it is. Pulse's
    // answers are unions (a result or a submission) that fast-json-stringify picked between by
    // running ajv on every response, which cost more than the rest of a poll.
    api.setSerializerCompiler(() => (doc) => JSON.stringify(doc));
    // The document's app registers each route, with its schema, for @fastify/swagger to describe.
    if (opts.forDocument) {
      for (const spec of specs)
        api.route({ method: spec.method, url: spec.path, schema: spec.schema, handler: () => null });
      return;
    }
    // Everything that is not the mock's own (health, portal, admin) goes to the pipeline, which
    // routes it with the msw handlers' router: the two adapters answer every URL alike.
    api.all('/*', async (request, reply) => {
      const q = request.url.indexOf('?');
      const payload = request.body as Readable | undefined;
      const res = await pipeline.serve({
        method: request.method,
        path: q < 0 ? request.url : request.url.slice(0, q),
        query: firstValues(request.query),
        header: (name) => headerValue(request, name),
        // Not destroyed when the pipeline stops reading early (a refused body): the answer still goes out.
        body: payload ? payload.iterator({ destroyOnReturn: false }) : null,
        baseUrl: baseUrlOf(request),
      });
      const body =
        res.body instanceof Uint8Array && !Buffer.isBuffer(res.body)
          ? Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength)
          : res.body;
      return reply.code(res.status).headers(res.headers).send(body);
    });
  });

  // The document's app shares the runtime: only the app that serves closes it.
  if (!opts.forDocument)
    app.addHook('onClose', async () => {
      runtime.close();
    });
  return app;
}

/** Fastify's parsed query, one string per name (the first of repeated ones), as msw's adapter gives it. */
function firstValues(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}
