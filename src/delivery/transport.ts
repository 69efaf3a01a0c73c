import { BoundedMemo } from '../core/bounded-memo.js';

/**
 * How a signed delivery leaves the mock. The default sends real HTTP; the msw adapter and
 * tests can pass their own (e.g. hand the `Request` to a handler in-process).
 */
export interface OutgoingDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  header(name: string): string | undefined;
  /** The start of the response body (the log keeps 1 KiB). */
  body: string;
  /** Every response header, for the log (which keeps 2 KiB of them). */
  headers?: () => Record<string, string | string[] | undefined>;
}

export type Transport = (req: OutgoingDelivery) => Promise<TransportResponse>;

export class DeliveryTimeoutError extends Error {
  override readonly name = 'DeliveryTimeoutError';
}

const MAX_BODY_BYTES = 1024;

type Undici = typeof import('undici');

/** Endpoint URLs are few and reused by every delivery: parse each once. */
const urls = new BoundedMemo<{ origin: string; path: string }>();
function parsedUrl(url: string): { origin: string; path: string } {
  return urls.get(url, () => {
    const p = new URL(url);
    return { origin: p.origin, path: `${p.pathname}${p.search}` };
  });
}
type Headers = Record<string, string | string[] | undefined>;

/** Keep-alive connections shared by every delivery, loaded on first use (not at start-up). */
let agent: Promise<import('undici').Agent> | undefined;
let loaded: import('undici').Agent | undefined;
const undiciAgent = () =>
  (agent ??= import('undici').then(
    (u: Undici) => (loaded = new u.Agent({ connections: 128, keepAliveTimeout: 10_000, pipelining: 1 })),
  ));

/** Starts loading undici now (a run that will send soon: the check, the scenario runner). */
export function preloadHttpTransport(): void {
  void undiciAgent();
}

/**
 * POST over HTTP with undici. Redirects are not followed (Svix counts a 3xx as a failure) and the
 * timeout is real time, since it is about a real socket, whatever `--time-scale` says.
 *
 * This uses undici's `dispatch` handler interface rather than `request`: no response stream, no
 * AbortSignal, no promise per chunk. Deliveries are the mock's hot path and this triples what one
 * process sends per second (bench/RESULTS.md).
 */
export const httpTransport: Transport = (req) => (loaded ? send(loaded, req) : undiciAgent().then((a) => send(a, req)));

function send(a: import('undici').Agent, req: OutgoingDelivery): Promise<TransportResponse> {
  const target = parsedUrl(req.url);
  return new Promise((resolve, reject) => {
    let abort: ((reason: Error) => void) | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      // After the status line it is a response that never finished, not a missing one.
      const reason = new DeliveryTimeoutError(
        status
          ? `the response (status ${status}) did not finish within ${req.timeoutMs} ms`
          : `no response within ${req.timeoutMs} ms`,
      );
      if (abort) abort(reason);
      else settle(reason);
    }, req.timeoutMs);
    let status = 0;
    let headers: Headers = {};
    const chunks: Buffer[] = [];
    let size = 0;
    function settle(e: Error | undefined) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) return reject(e instanceof DeliveryTimeoutError ? e : new Error(describeNetworkError(e)));
      const body = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
      resolve({
        status,
        header: (n) => {
          const v = headers[n.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        },
        body,
        headers: () => headers,
      });
    }
    a.dispatch(
      { origin: target.origin, path: target.path, method: 'POST', headers: req.headers, body: req.body },
      {
        onRequestStart(controller) {
          abort = (reason) => controller.abort(reason);
        },
        onResponseStart(_c, statusCode, h) {
          status = statusCode;
          headers = h;
        },
        onResponseData(controller, chunk: Buffer) {
          // The log keeps the start of the body; the rest is not worth reading.
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY_BYTES) {
            settle(undefined);
            controller.abort(new Error('body long enough'));
          }
        },
        onResponseEnd() {
          settle(undefined);
        },
        onResponseError(_c, e) {
          settle(e);
        },
      },
    );
  });
}

function describeNetworkError(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code && !err.code.startsWith('UND_ERR') ? err.code : (err.cause?.code ?? err.code);
  const message = err.cause?.message ?? err.message;
  return code ? `${code}${message && !message.includes(code) ? `: ${message}` : ''}` : (message ?? String(e));
}
