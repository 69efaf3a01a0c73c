import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { http, HttpResponse, type HttpHandler } from 'msw';
import type { Clock } from '../clock.js';
import { resolveConfig } from '../config.js';
import { errors, PulseMockError } from '../core/errors.js';
import type { UploadedFile } from '../core/extract-request.js';
import { overridesFrom } from '../core/overrides.js';
import type { ApiRoute } from '../faults/fault-plan.js';
import type { PulseMockOptions } from '../index.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { ExtractJsonBody } from '../server/schemas.js';

/**
 * msw handlers for Pulse's API, over the same runtime as the server: same job lifecycle,
 * results, errors, faults and webhook events. Unit tests use them instead of a port.
 */
export interface PulseHandlersOptions extends Omit<PulseMockOptions, 'port' | 'host' | 'configFile' | 'onRequestLog' | 'json' | 'quiet'> {
  /** Base URL(s) to answer on; default Pulse's two: https://api.runpulse.com and https://dev.api.runpulse.com. */
  baseUrl?: string | string[];
  /**
   * Receives every signed webhook delivery as a standard `Request`: pass it straight to your
   * handler. Return its `Response` (a non-2xx counts as a failed attempt, and is retried), or
   * nothing for a 204. Without it, deliveries go to `webhookUrl` over HTTP, as the server does.
   */
  onWebhook?: (request: Request) => Response | void | Promise<Response | void>;
}

export interface PulseMsw {
  handlers: HttpHandler[];
  /** The runtime behind the handlers (jobs, dispatcher, faults); replaced by `reset()`. */
  readonly runtime: Runtime;
  /** Forgets every job, delivery and request, keeping the options (call it in afterEach). */
  reset(): void;
  /** Stops pending timers. */
  close(): void;
}

export const PULSE_BASE_URLS = ['https://api.runpulse.com', 'https://dev.api.runpulse.com'];
const WEBHOOK_URL = 'http://pulse-mock.local/webhook';

let validateExtractBody: ReturnType<Ajv['compile']> | undefined;

/** @example server.use(...createPulseHandlers({ apiKey: 'sk_test', processingMs: 50 })) */
export function createPulseHandlers(options: PulseHandlersOptions = {}): HttpHandler[] {
  return createPulseMsw(options).handlers;
}

export function createPulseMsw(options: PulseHandlersOptions = {}): PulseMsw {
  const { baseUrl, onWebhook, clock, ...rest } = options;
  const config = resolveConfig({
    options: { ...rest, ...(onWebhook && !rest.webhookUrl ? { webhookUrl: [WEBHOOK_URL] } : {}) },
    env: {},
  });
  const make = () =>
    createRuntime(config, {
      ...(clock ? { clock: clock as Clock } : {}),
      ...(onWebhook
        ? {
            transport: async (req) => {
              const res = await onWebhook(new Request(req.url, { method: 'POST', headers: req.headers, body: req.body }));
              const r = res ?? new Response(null, { status: 204 });
              return { status: r.status, header: (n) => r.headers.get(n) ?? undefined, body: (await r.text()).slice(0, 1024) };
            },
          }
        : {}),
    });
  let runtime = make();
  const bases = (Array.isArray(baseUrl) ? baseUrl : baseUrl ? [baseUrl] : PULSE_BASE_URLS).map((u) => u.replace(/\/$/, ''));

  const handle =
    (route: ApiRoute, fn: (rt: Runtime, request: Request, params: Record<string, string>, base: string) => Promise<{ status: number; body: unknown }>) =>
    async ({ request, params }: { request: Request; params: Record<string, string | readonly string[] | undefined> }) => {
      const rt = runtime;
      const started = Date.now();
      const base = new URL(request.url).origin;
      let status = 500;
      let fault: string | undefined;
      try {
        rt.core.authenticate(request.headers.get('x-api-key') ?? undefined);
        const d = rt.faults.forApi(route);
        if (d.applied.length) fault = d.applied.join('; ');
        if (d.latencyMs) await new Promise((r) => setTimeout(r, d.latencyMs));
        if (d.error) throw errors.injected(d.error.status, d.error.retryAfterS);
        const res = await fn(rt, request, params as Record<string, string>, base);
        status = res.status;
        return HttpResponse.json(res.body as never, { status: res.status });
      } catch (e) {
        const err = e instanceof PulseMockError ? e : errors.internal(`Internal error in pulse-mock: ${(e as Error).message}`);
        status = err.status;
        return HttpResponse.json(err.toBody() as never, { status: err.status, headers: err.headers });
      } finally {
        const jobId = typeof params.jobId === 'string' ? params.jobId : undefined;
        rt.requests.add({
          at: rt.clock.now(),
          method: request.method,
          route,
          path: new URL(request.url).pathname,
          status,
          ms: Date.now() - started,
          ...(jobId ? { jobId } : {}),
          ...(fault ? { fault } : {}),
        });
      }
    };

  const extract = (forceAsync: boolean) =>
    handle('extract', async (rt, request, _p, base) => {
      const { fields, upload } = await readExtractBody(request, config.bodyLimit);
      return rt.core.extract({
        fields,
        ...(upload ? { upload } : {}),
        overrides: overridesFrom((n) => request.headers.get(n)),
        baseUrl: base,
        forceAsync,
      });
    });

  const handlers = bases.flatMap((b) => [
    http.post(`${b}/extract`, extract(false)),
    http.post(`${b}/extract_async`, extract(true)),
    http.get(`${b}/job/:jobId`, handle('poll', async (rt, _r, p, base) => rt.core.getJob(p.jobId as string, base))),
    http.delete(`${b}/job/:jobId`, handle('cancel', async (rt, _r, p) => rt.core.cancelJob(p.jobId as string))),
    http.post(`${b}/cancel/:jobId`, handle('cancel', async (rt, _r, p) => rt.core.cancelJob(p.jobId as string))),
    http.post(`${b}/webhook`, handle('webhook', async (rt, _r, _p, base) => rt.core.webhookLink(base, 'msw'))),
    http.get(`${b}/large_results/:jobId`, handle('large-results', async (rt, _r, p, base) => rt.core.getLargeResult(p.jobId as string, base))),
  ]);

  return {
    handlers,
    get runtime() {
      return runtime;
    },
    reset() {
      runtime.close();
      runtime = make();
    },
    close() {
      runtime.close();
    },
  };
}

/** The request body as the core wants it, parsed as the server's fastify stack would. */
async function readExtractBody(request: Request, limit: number): Promise<{ fields: Record<string, unknown>; upload?: UploadedFile }> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > limit) throw errors.fileTooLarge(limit);
  if (type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded') {
    let form: FormData;
    try {
      form = await request.formData();
    } catch (e) {
      throw errors.invalidBody(`Malformed ${type === 'multipart/form-data' ? 'multipart' : 'form'} body: ${(e as Error).message}`);
    }
    const fields: Record<string, unknown> = {};
    let upload: UploadedFile | undefined;
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') fields[key] = value;
      else if (key === 'file' && !upload) {
        const bytes = Buffer.from(await value.arrayBuffer());
        if (bytes.length > limit) throw errors.fileTooLarge(limit);
        upload = { filename: value.name, mimetype: value.type || 'application/octet-stream', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
        fields[key] = value.name;
      }
    }
    return { fields, ...(upload ? { upload } : {}) };
  }
  const text = await request.text();
  if (text.length > limit) throw errors.fileTooLarge(limit);
  if (text === '') return { fields: {} };
  if (type !== 'application/json' && !type.endsWith('+json')) throw errors.unsupportedMediaType(type || 'none');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw errors.invalidBody(`Malformed JSON body: ${(e as Error).message}`);
  }
  validateExtractBody ??= new Ajv({ strict: false, coerceTypes: 'array', allErrors: false }).compile(ExtractJsonBody);
  if (!validateExtractBody(body)) {
    const e = validateExtractBody.errors?.[0];
    throw errors.invalidBody(`Invalid request body: body${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`, { errors: validateExtractBody.errors });
  }
  return { fields: body as Record<string, unknown> };
}
