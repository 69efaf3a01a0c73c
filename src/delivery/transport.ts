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
}

export type Transport = (req: OutgoingDelivery) => Promise<TransportResponse>;

export class DeliveryTimeoutError extends Error {
  override readonly name = 'DeliveryTimeoutError';
}

const MAX_BODY_BYTES = 1024;

/** Keep-alive connections shared by every delivery (undici: several times fetch's throughput), loaded on first use. */
let client: Promise<{ request: typeof import('undici').request; agent: import('undici').Agent }> | undefined;
const undiciClient = () =>
  (client ??= import('undici').then((u) => ({ request: u.request, agent: new u.Agent({ connections: 128, keepAliveTimeout: 10_000, pipelining: 1 }) })));

/**
 * POST over HTTP with undici. Redirects are not followed (Svix counts a 3xx as a failure) and the
 * timeout is real time, since it is about a real socket, whatever `--time-scale` says.
 */
export const httpTransport: Transport = async (req) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeliveryTimeoutError(`no response within ${req.timeoutMs} ms`)), req.timeoutMs);
  try {
    const { request, agent } = await undiciClient();
    const res = await request(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: controller.signal, dispatcher: agent });
    const body = await readStart(res.body);
    return {
      status: res.statusCode,
      header: (n) => {
        const v = res.headers[n.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body,
    };
  } catch (e) {
    const reason = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof DeliveryTimeoutError) throw reason;
    throw new Error(describeNetworkError(e));
  } finally {
    clearTimeout(timer);
  }
};

async function readStart(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

function describeNetworkError(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code && !err.code.startsWith('UND_ERR') ? err.code : (err.cause?.code ?? err.code);
  const message = err.cause?.message ?? err.message;
  return code ? `${code}${message && !message.includes(code) ? `: ${message}` : ''}` : (message ?? String(e));
}
