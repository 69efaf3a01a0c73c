import { writeFileSync } from 'node:fs';
import { awaitedDeadline } from '../clock.js';
import { TERMINAL_DELIVERY_STATES } from '../delivery/types.js';
import { redact } from '../recording/format.js';

const TERMINAL: ReadonlySet<string> = TERMINAL_DELIVERY_STATES;

/**
 * The commands that talk to a running mock (`trigger`, `resend`, `recover`, `logs`, `jobs`,
 * `messages`, `export`), through the admin API the portal uses. Output is one line per thing, or
 * with `--json` one JSON object per line and nothing else on stdout.
 */
export interface RemoteOptions {
  mockUrl: string;
  adminToken?: string;
  json: boolean;
  write?: (s: string) => void;
}

type Delivery = {
  id: string;
  url: string;
  endpointId: string;
  eventType: string;
  jobId: string;
  status: string;
  attempts: {
    n: number;
    at: string;
    status?: number | null;
    durationMs: number;
    error?: string | null;
    responseBody?: string | null;
    requestHeaders?: Record<string, string> | null;
    responseHeaders?: string | null;
  }[];
  payload?: unknown;
};

export class MockClient {
  readonly #o: RemoteOptions;
  readonly write: (s: string) => void;

  /** The mock's URL without a trailing slash. */
  readonly #base: string;

  constructor(o: RemoteOptions) {
    this.#o = o;
    this.#base = o.mockUrl.replace(/\/$/, '');
    this.write = o.write ?? ((s) => process.stdout.write(s));
  }

  /** Prints one thing: its JSON, or the line a person reads. */
  line(json: unknown, text: string): void {
    this.write(this.#o.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          ...(this.#o.adminToken ? { authorization: `Bearer ${this.#o.adminToken}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw new RemoteError(
        `nothing answers at ${this.#o.mockUrl} (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}): start the mock (pulse-mock start), or point --mock-url at it`,
      );
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (res.status === 401 || json.error?.code === 'ADMIN_TOKEN_REQUIRED')
      throw new RemoteError(
        `${this.#o.mockUrl} wants its admin token: pass --admin-token or set PULSE_MOCK_ADMIN_TOKEN (start prints it)`,
      );
    if (!res.ok) throw new RemoteError(`${method} ${path} answered ${res.status}: ${json.error?.message ?? ''}`);
    return json as T;
  }

  /**
   * Server-sent events from `/_mock/stream` until `stop` says so or the stream ends; only what
   * happens after it started.
   */
  async stream(
    kinds: { requests: boolean; deliveries: boolean },
    on: (event: string, data: Record<string, unknown>) => boolean | void,
    signal?: AbortSignal,
  ): Promise<void> {
    const q = `requests=${kinds.requests}&deliveries=${kinds.deliveries}`;
    const res = await fetch(`${this.#base}/_mock/stream?${q}`, {
      headers: this.#o.adminToken ? { authorization: `Bearer ${this.#o.adminToken}` } : {},
      ...(signal ? { signal } : {}),
    }).catch((e: Error) => {
      if (e.name === 'AbortError') return undefined;
      throw new RemoteError(`nothing answers at ${this.#o.mockUrl}: start the mock, or point --mock-url at it`);
    });
    if (!res?.body) return;
    if (!res.ok) throw new RemoteError(`the event stream answered ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data && on(event, JSON.parse(data) as Record<string, unknown>) === true) return;
        }
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  }
}

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
}

/** One line for a delivery as the admin API shows it (its latest attempt). */
export const deliveryLine = (view: Delivery | Record<string, unknown>) => {
  const d = view as Delivery;
  const a = d.attempts?.at(-1);
  const answer = a ? (a.status ? `${a.status} in ${a.durationMs} ms` : (a.error ?? 'no answer')) : 'not sent yet';
  return `${d.id}  ${d.eventType.padEnd(14)} job ${d.jobId}  ${d.status.padEnd(9)} attempt ${a?.n ?? 0}: ${answer}  (${d.endpointId})`;
};

export const requestLine = (r: Record<string, unknown>) =>
  `${String(r.at)}  ${String(r.method).padEnd(6)} ${String(r.path)} -> ${String(r.status)} (${String(r.ms)} ms)${typeof r.fault === 'string' ? `  [${r.fault}]` : ''}`;

/**
 * `trigger`: a real job run to `event`'s end, each of its deliveries printed as it happens;
 * resolves once the job is final and its deliveries settled, or at `timeoutMs`.
 */
export async function trigger(
  client: MockClient,
  event: string,
  o: { fileUrl?: string; timeoutMs: number },
): Promise<boolean> {
  const abort = new AbortController();
  // Set once the job is submitted; what the stream says before then waits in `early`.
  const submitted: { id?: string; final?: boolean } = {};
  const early: [string, Record<string, unknown>][] = [];
  const { data: endpoints } = await client.call<{ data: unknown[] }>('GET', '/_mock/endpoints');
  let done = false;
  /** Final, and (with endpoints) its end event delivered and every delivery of it ended. */
  const check = async () => {
    if (!submitted.id || !submitted.final) return;
    if (endpoints.length > 0) {
      const { data } = await client.call<{ data: Delivery[] }>(
        'GET',
        `/_mock/messages?jobId=${encodeURIComponent(submitted.id)}`,
      );
      if (!data.some((d) => d.eventType === event) || !data.every((d) => TERMINAL.has(d.status))) return;
    }
    done = true;
    abort.abort();
  };
  const seen = (kind: string, d: Record<string, unknown>) => {
    if (kind === 'job' && d.jobId === submitted.id) {
      client.line({ event: 'job', ...d }, `job ${submitted.id}: ${String(d.type)}`);
      if (d.type === event) submitted.final = true;
    }
    if (kind === 'delivery' && d.jobId === submitted.id) client.line({ event: 'delivery', ...d }, deliveryLine(d));
    void check();
  };
  const timer = awaitedDeadline(() => abort.abort(), o.timeoutMs);
  // Listening first: nothing of the job is missed.
  const listening = client.stream(
    { requests: false, deliveries: true },
    (kind, d) => {
      if (!submitted.id) early.push([kind, d]);
      else seen(kind, d);
    },
    abort.signal,
  );
  const { data: job } = await client.call<{ data: { id: string; status: string } }>('POST', '/_mock/trigger', {
    event,
    ...(o.fileUrl ? { file_url: o.fileUrl } : {}),
  });
  submitted.id = job.id;
  client.line(
    { event: 'submitted', id: job.id },
    `job ${job.id} (${event}): submitted${endpoints.length ? '' : '; no webhook endpoint listens, so nothing is delivered'}`,
  );
  for (const [kind, d] of early.splice(0)) seen(kind, d);
  await listening;
  timer.cancel();
  client.line(
    { event: 'done', id: job.id, settled: done },
    done
      ? `job ${job.id}: done${endpoints.length ? ', its deliveries settled' : ''}`
      : `job ${job.id}: not settled at --timeout`,
  );
  return done;
}

/** The delivery log with each attempt, secrets redacted, as NDJSON or a HAR file. */
export function exportLog(messages: Delivery[], format: 'ndjson' | 'har', secrets: string[]): string {
  const clean = messages.map((m) => redact(m, secrets) as Delivery);
  if (format === 'ndjson') return clean.map((m) => `${JSON.stringify(m)}\n`).join('');
  const entries = clean.flatMap((m) =>
    m.attempts.map((a) => ({
      startedDateTime: a.at,
      time: a.durationMs,
      request: {
        method: 'POST',
        url: m.url,
        httpVersion: 'HTTP/1.1',
        headers: [
          { name: 'content-type', value: 'application/json' },
          ...Object.entries(a.requestHeaders ?? { 'webhook-id': m.id }).map(([name, value]) => ({ name, value })),
        ],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: -1,
        postData: { mimeType: 'application/json', text: JSON.stringify(m.payload ?? {}) },
      },
      response: {
        status: a.status ?? 0,
        statusText: a.error ?? '',
        httpVersion: 'HTTP/1.1',
        headers: (a.responseHeaders ?? '')
          .split('\n')
          .filter((l) => l.includes(': '))
          .map((l) => ({ name: l.slice(0, l.indexOf(': ')), value: l.slice(l.indexOf(': ') + 2) })),
        cookies: [],
        content: { size: -1, mimeType: 'text/plain', text: a.responseBody ?? '' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      },
      cache: {},
      timings: { send: 0, wait: a.durationMs, receive: 0 },
      comment: `${m.eventType} for job ${m.jobId}, attempt ${a.n} (${m.status})`,
    })),
  );
  return `${JSON.stringify({ log: { version: '1.2', creator: { name: 'pulse-mock', version: '1' }, entries } }, null, 2)}\n`;
}

export function writeOut(text: string, output: string | undefined, write: (s: string) => void): void {
  if (output) writeFileSync(output, text);
  else write(text);
}
