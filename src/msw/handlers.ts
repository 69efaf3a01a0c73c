import { http, HttpResponse, passthrough, type HttpHandler, type JsonBodyType } from 'msw';
import { isRunningMockUrl } from '../core/running-mocks.js';
import { resolveConfig } from '../config.js';
import type { PulseMockOptions } from '../index.js';
import { controlsOver, PLACEHOLDER_API_KEY, type PulseMockControls } from '../facade.js';
import { createRuntime } from '../runtime.js';
import { RequestPipeline } from '../api/pipeline.js';
import { ApiRouter } from '../api/router.js';
import { apiRouteSpecs } from '../api/routes.js';

/**
 * msw handlers for Pulse's API, over the same runtime as the server: same job lifecycle,
 * results, errors, faults and webhook events. Unit tests use them instead of a port.
 */
export interface PulseHandlersOptions extends Omit<
  PulseMockOptions,
  'port' | 'host' | 'configFile' | 'onRequestLog' | 'json' | 'quiet'
> {
  /** Base URL(s) to answer on; default Pulse's two: https://api.runpulse.com and https://dev.api.runpulse.com. */
  baseUrl?: string | string[];
  /**
   * Receives every signed webhook delivery as a standard `Request`: pass it straight to your
   * handler. Return its `Response` (a non-2xx counts as a failed attempt, and is retried), or
   * nothing for a 204. Without it, deliveries go to `webhookUrl` over HTTP, as the server does.
   */
  onWebhook?: (request: Request) => Response | void | Promise<Response | void>;
}

/** msw handlers over one mock, and what a test sees and steers of it (the same surface as `createPulseMock`'s). */
export interface PulseMsw extends PulseMockControls {
  /** Pass these to msw's `setupServer(...)` or `server.use(...)`. */
  handlers: HttpHandler[];
  /** Forgets every job, delivery, request and fault rule added since, keeping the options (call it in afterEach). */
  reset(): void;
  /** Stops pending timers. */
  close(): void;
}

export const PULSE_BASE_URLS = ['https://api.runpulse.com', 'https://dev.api.runpulse.com'];
const WEBHOOK_URL = 'http://pulse-mock.local/webhook';

/**
 * Pulse's API as msw handlers, when the test needs nothing but the handlers.
 *
 * @example
 * import { setupServer } from 'msw/node';
 * const server = setupServer(...createPulseHandlers({ apiKey: 'sk_test', processingMs: 50 }));
 * server.listen();
 */
export function createPulseHandlers(options: PulseHandlersOptions = {}): HttpHandler[] {
  return createPulseMsw(options).handlers;
}

/**
 * Pulse's API as msw handlers, with the controls of the mock behind them: jobs, deliveries
 * (to `onWebhook` or `webhookUrl`), requests and fault rules.
 *
 * @example
 * const pulse = createPulseMsw({ apiKey: 'sk_test', onWebhook: (req) => myHandler(req) });
 * const server = setupServer(...pulse.handlers);
 * beforeAll(() => server.listen());
 * afterEach(() => pulse.reset());
 * it('retries a 429', async () => {
 *   pulse.faults.add({ fault: { kind: 'api-error', status: 429 }, scope: { routes: ['extract'] }, when: { nth: [1] } });
 *   // ... your code calls https://api.runpulse.com/extract ...
 *   expect(pulse.requests({ route: 'extract' }).map((r) => r.status)).toEqual([429, 200]);
 * });
 */
export function createPulseMsw(options: PulseHandlersOptions = {}): PulseMsw {
  const { baseUrl, onWebhook, clock, ...rest } = options;
  const config = resolveConfig({
    options: { ...rest, ...(onWebhook && !rest.webhookUrl ? { webhookUrl: [WEBHOOK_URL] } : {}) },
    optionsAre: 'code',
    env: {},
  });
  const make = () =>
    createRuntime(config, {
      ...(clock ? { clock: clock } : {}),
      ...(onWebhook
        ? {
            transport: async (req) => {
              const res = await onWebhook(
                new Request(req.url, { method: 'POST', headers: req.headers, body: req.body }),
              );
              const r = res ?? new Response(null, { status: 204 });
              return {
                status: r.status,
                header: (n) => r.headers.get(n) ?? undefined,
                body: (await r.text()).slice(0, 1024),
                headers: () => Object.fromEntries(r.headers),
              };
            },
          }
        : {}),
    });
  const router = new ApiRouter(apiRouteSpecs());
  let runtime = make();
  let pipeline = new RequestPipeline(runtime, { portalToken: 'msw', router });
  const bases = (Array.isArray(baseUrl) ? baseUrl : baseUrl ? [baseUrl] : PULSE_BASE_URLS).map((u) =>
    u.replace(/\/$/, ''),
  );

  // msw only catches the requests to Pulse's hosts; the pipeline routes them with the server's
  // router (msw's own matching ignores case and trailing slashes) and does everything else.
  const serve = async ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    const res = await pipeline.serve({
      method: request.method,
      path: url.pathname,
      // The first value of a repeated name, as the server takes it.
      query: Object.fromEntries([...url.searchParams].reverse()),
      header: (name) => request.headers.get(name) ?? undefined,
      // Not cancelled when the pipeline stops reading early (a refused body): msw's request
      // stream never settles a cancel, and the answer would hang.
      body: request.body ? request.body.values({ preventCancel: true }) : null,
      baseUrl: url.origin,
    });
    // An answer to HEAD has no body over HTTP; msw would hand the body to the client as it is.
    if (request.method === 'HEAD') return new HttpResponse(null, { status: res.status, headers: res.headers });
    return res.body instanceof Uint8Array
      ? new HttpResponse(res.body, { status: res.status, headers: res.headers })
      : HttpResponse.json(res.body as JsonBodyType, { status: res.status, headers: res.headers });
  };
  const handlers = bases.map((b) => http.all(`${b}/*`, serve));
  // A mock server started in this process (startPulseMock, withPulseMock) is reached over the
  // network even under `onUnhandledRequest: 'error'`. The predicate (msw >= 2.11) matches those
  // origins only: a handler that matched every request would make none of them unhandled.
  handlers.push(
    http.all(
      ({ request }) => isRunningMockUrl(request.url),
      () => passthrough(),
    ),
  );

  const controls = controlsOver(() => runtime, config.apiKey ?? PLACEHOLDER_API_KEY);
  return Object.assign(controls, {
    handlers,
    reset() {
      runtime.close();
      runtime = make();
      pipeline = new RequestPipeline(runtime, { portalToken: 'msw', router });
    },
    close() {
      runtime.close();
    },
  });
}
