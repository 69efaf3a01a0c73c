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

/**
 * POST over HTTP with fetch. Redirects are not followed (Svix counts a 3xx as a failure) and the
 * timeout is real time, since it is about a real socket, whatever `--time-scale` says.
 */
export const httpTransport: Transport = async (req) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeliveryTimeoutError(`no response within ${req.timeoutMs} ms`)), req.timeoutMs);
  try {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: controller.signal });
    const body = await readStart(res);
    return { status: res.status, header: (n) => res.headers.get(n) ?? undefined, body };
  } catch (e) {
    const reason = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof DeliveryTimeoutError) throw reason;
    throw new Error(describeNetworkError(e));
  } finally {
    clearTimeout(timer);
  }
};

async function readStart(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

function describeNetworkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return (e as Error).message ?? String(e);
}
