import { createHash, randomBytes } from 'node:crypto';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
import { errors } from '../core/errors.js';
import type { UploadedFile } from '../core/extract-request.js';
import type { Runtime } from '../runtime.js';
import { adminRoutes } from './routes/admin.js';
import { registerApiFaultsAndLog } from './api-faults.js';
import { registerErrorHandling } from './error-handler.js';
import { headerValue, uploads } from './request-context.js';
import { extractRoutes } from './routes/extract.js';
import { jobRoutes } from './routes/jobs.js';
import { metaRoutes } from './routes/meta.js';
import { portalRoutes, webhookLinkRoutes } from './routes/webhook.js';
import { VERSION } from '../version.js';
import { errorResponses, ErrorBody } from './schemas.js';

/** Fastify's ajv settings (coercion, defaults, formats), compiling each schema when first used. */
function lazyValidatorCompiler() {
  let ajv: Ajv | undefined;
  return ({ schema }: { schema: object }) => {
    let compiled: ValidateFunction | undefined;
    const validate = ((data: unknown) => {
      if (!compiled) {
        if (!ajv) {
          ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
          addFormats(ajv);
        }
        compiled = ajv.compile(schema);
      }
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    }) as ((data: unknown) => boolean) & { errors?: ValidateFunction['errors'] };
    return validate;
  };
}

function withErrorResponses(schema: Record<string, unknown> | undefined, url: string): Record<string, unknown> | undefined {
  if (!schema || url === '/health' || url === '/openapi.json' || url === '/portal') return schema;
  const errs = url.startsWith('/_mock/') ? { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } : { ...errorResponses, ...(url.startsWith('/large_results') ? { 410: ErrorBody } : {}) };
  return { ...schema, response: { ...errs, ...(schema.response as object | undefined) } };
}

/**
 * @fastify/multipart reads `globalThis.FormData` while it registers, only to add a
 * `request.formData()` helper the mock never calls, and Node builds that global on its first
 * read by loading its bundled undici: ~25 ms, a tenth of start-up (bench/RESULTS.md). The global
 * reads as undefined for the plugin's own registration, which is synchronous, so no other code
 * can see the difference; the lazy global is put back untouched.
 */
function withoutFormDataGlobal<P extends (...args: never[]) => unknown>(plugin: P): P {
  const wrapped = function (this: unknown, ...args: Parameters<P>) {
    const formData = Object.getOwnPropertyDescriptor(globalThis, 'FormData');
    Object.defineProperty(globalThis, 'FormData', { value: undefined, configurable: true, writable: true });
    try {
      return plugin.apply(this, args);
    } finally {
      if (formData) Object.defineProperty(globalThis, 'FormData', formData);
      else Reflect.deleteProperty(globalThis, 'FormData');
    }
  };
  // fastify-plugin's markers (skip-override, name, metadata) are own properties of the plugin.
  return Object.assign(wrapped, plugin) as unknown as P;
}

/**
 * Form and multipart parsing, for the extract routes only: registered anywhere wider, the
 * multipart plugin's hook (a promise per request) ran on every poll too.
 */
async function registerUploadParsers(scope: FastifyInstance, bodyLimit: number): Promise<void> {
  await scope.register(formbody, { bodyLimit });
  await scope.register(withoutFormDataGlobal(multipart), {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: bodyLimit, files: 4, fields: 200, fieldSize: Math.min(bodyLimit, 16 * 1024 * 1024), parts: 250 },
    // Streams each file through a hash instead of buffering it: only its name, type, size and
    // digest matter to the mock (the digest seeds the result, so the same file gives the same body).
    async onFile(this: FastifyRequest, part) {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of part.file) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      if (part.file.truncated) throw errors.fileTooLarge(bodyLimit);
      const file: UploadedFile = { filename: part.filename, mimetype: part.mimetype, size, sha256: hash.digest('hex') };
      const seen = uploads.get(this) ?? new Map<string, UploadedFile>();
      seen.set(part.fieldname, file);
      uploads.set(this, seen);
      (part as unknown as { value: unknown }).value = part.filename;
    },
  });
}

export interface AppOptions {
  runtime: Runtime;
  /** Secret in the portal link (and the admin token); generated when not given. */
  portalToken?: string;
  /** Require the portal token on the admin API (set when listening beyond loopback). */
  requireAdminToken?: boolean;
  /** One line per request, e.g. for the CLI's console. */
  onRequestLog?: (line: { method: string; url: string; status: number; ms: number }) => void;
  onInternalError?: (err: unknown) => void;
}

/**
 * The fastify adapter over the core. Returns the app without listening: tests call
 * `app.inject()`, the CLI and `createPulseMock` call `listen()`.
 */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { runtime } = opts;
  const { core } = runtime;
  const bodyLimit = runtime.config.bodyLimit;
  const portalToken = opts.portalToken ?? randomBytes(18).toString('base64url');
  const app = Fastify({
    logger: false,
    bodyLimit,
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 500 },
    // Unknown properties are errors where a schema says additionalProperties: false, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // Errors fastify raises before routing (an undecodable URL) get Pulse's shape too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as { code(n: number): { send(b: unknown): void } }).code(400).send(errors.invalidParameter('url', `Bad request URL: ${error.message}`).toBody());
    },
  });

  // Validators compile on a route's first request instead of at start-up: compiling every route's
  // schemas with ajv up front was the largest single cost of starting (bench/RESULTS.md).
  app.setValidatorCompiler(lazyValidatorCompiler());

  // Pulse takes JSON, multipart and form posts; a text/plain body is a client mistake (415).
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app, { bodyLimit, onInternalError: opts.onInternalError ?? ((e) => console.error('[pulse-mock] internal error', e)) });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Pulse API (pulse-mock)',
        version: VERSION,
        description: 'The Pulse document-extraction API as served by pulse-mock. Every route but /health needs x-api-key.',
      },
      components: { securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      security: [{ ApiKeyAuth: [] }],
    },
    // Error bodies are documented here rather than declared on each route: a response schema
    // per status per route was hundreds of serializers compiled at start-up for one shape.
    transform: ({ schema, url }) => ({ schema: withErrorResponses(schema as Record<string, unknown>, url) as typeof schema, url }),
  });
  if (opts.onRequestLog) {
    const log = opts.onRequestLog;
    app.addHook('onResponse', (request, reply, done) => {
      log({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
      done();
    });
  }

  await app.register(metaRoutes, { core, version: VERSION });
  await app.register(portalRoutes, { portalToken });
  await app.register(adminRoutes, { runtime, ...(opts.requireAdminToken ? { adminToken: portalToken } : {}) });
  // Everything Pulse serves sits behind x-api-key, checked before the body is even read.
  await app.register(async (api) => {
    api.addHook('onRequest', (request, _reply, done) => {
      try {
        core.authenticate(headerValue(request, 'x-api-key'));
      } catch (e) {
        return done(e as Error);
      }
      done();
    });
    registerApiFaultsAndLog(api, runtime);
    await api.register(async (extract) => {
      await registerUploadParsers(extract, bodyLimit);
      await extract.register(extractRoutes, { core });
    });
    await api.register(jobRoutes, { core });
    await api.register(webhookLinkRoutes, { core, portalToken });
  });

  app.addHook('onClose', async () => {
    runtime.close();
  });
  return app;
}
