import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import { readBody } from '../api/body.js';
import { ApiRouter } from '../api/router.js';
import { apiRouteSpecs } from '../api/routes.js';
import { PulseMockError } from '../core/errors.js';
import { RECORDING_VERSION, redact, type Recording } from './format.js';

export interface RecorderOptions {
  /** Where requests go: Pulse (`https://api.runpulse.com`) or any upstream. */
  upstream: string;
  /** The directory recordings are written to (made if missing). */
  out: string;
  port: number;
  host: string;
  /** The most a request body may carry (the mock's `--body-limit`). */
  bodyLimit: number;
  /** One line per exchange (the CLI prints these). */
  onExchange?: (line: { method: string; path: string; status: number; file?: string }) => void;
}

export interface RunningRecorder {
  url: string;
  port: number;
  /** Stops taking requests, waits for those under way, and says how many recordings were written. */
  close(): Promise<{ recordings: number }>;
}

/** Response headers not passed back (the proxy sets its own framing). */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding']);
/** Request headers passed on: the key, what the body is, what is accepted, who asks. */
const FORWARD = new Set(['x-api-key', 'authorization', 'content-type', 'accept', 'user-agent']);

/**
 * `pulse-mock record`: a proxy that forwards a client's calls to the upstream with the client's
 * own key and keeps each exchange as a recording. An async job's polls are folded into the
 * recording of its submission (its lifecycle). Files are written as each exchange ends, so a
 * stop (SIGINT) loses nothing.
 */
export async function startRecorder(o: RecorderOptions): Promise<RunningRecorder> {
  mkdirSync(o.out, { recursive: true });
  const upstream = new URL(o.upstream);
  const router = new ApiRouter(apiRouteSpecs());
  let seq = 0;
  /** The recording of each async job seen, by its job id, and its file. */
  const jobs = new Map<string, { file: string; recording: Recording }>();
  const inFlight = new Set<Promise<void>>();
  const write = (file: string, r: Recording) => writeFileSync(join(o.out, file), `${JSON.stringify(r, null, 2)}\n`);

  async function exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > o.bodyLimit) {
        res
          .writeHead(413, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: `The body is over ${o.bodyLimit} bytes.` } }),
          );
        return;
      }
      chunks.push(c);
    }
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://recorder');
    const key = String(req.headers['x-api-key'] ?? '');
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k, v]) => FORWARD.has(k) && typeof v === 'string'),
    ) as Record<string, string>;
    let answer: Response;
    try {
      answer = await fetch(new URL(`${url.pathname}${url.search}`, upstream), {
        method: req.method ?? 'GET',
        headers,
        redirect: 'manual',
        ...(body.length ? { body } : {}),
      });
    } catch (e) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            code: 'UPSTREAM_UNREACHABLE',
            message: `[pulse-mock] ${o.upstream} did not answer: ${(e as Error).message}`,
          },
        }),
      );
      return;
    }
    const bytes = Buffer.from(await answer.arrayBuffer());
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (!HOP.has(k)) out[k] = v;
    });
    // The client gets its answer once the recording is written: a reader listing the folder
    // right after the call finds it there.
    try {
      await record(req, url, key, answer, bytes, body);
    } finally {
      res.writeHead(answer.status, out).end(bytes);
    }
  }

  async function record(
    req: IncomingMessage,
    url: URL,
    key: string,
    answer: Response,
    bytes: Buffer,
    body: Buffer,
  ): Promise<void> {
    const match = router.find(req.method ?? 'GET', url.pathname);
    if ('error' in match || !answer.headers.get('content-type')?.includes('json')) {
      o.onExchange?.({ method: req.method ?? 'GET', path: url.pathname, status: answer.status });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return;
    }
    const route = match.spec.route;
    const jobId = match.params.jobId;
    if (route === 'poll' && jobId && jobs.has(jobId)) {
      // A poll of a recorded job: one lifecycle entry per status, the final one with its body.
      const { file, recording } = jobs.get(jobId)!;
      const status = String((json as { status?: unknown }).status);
      const life = (recording.lifecycle ??= []);
      const final = status === 'completed' || status === 'failed' || status === 'canceled';
      const entry = { status, ...(final ? { body: redact(json, [key]) } : {}) };
      if (life.at(-1)?.status === status) life[life.length - 1] = entry;
      else life.push(entry);
      write(file, recording);
      o.onExchange?.({ method: 'GET', path: url.pathname, status: answer.status, file });
      return;
    }
    if (req.method !== 'POST') {
      o.onExchange?.({ method: req.method ?? 'GET', path: url.pathname, status: answer.status });
      return;
    }
    let fields: Record<string, unknown> = {};
    let file: Recording['request']['file'];
    try {
      const parsed = await readBody(
        req.headers['content-type'],
        String(body.length),
        body.length
          ? (async function* () {
              yield new Uint8Array(body);
            })()
          : null,
        { upload: o.bodyLimit, json: o.bodyLimit, jsonFlag: '--body-limit' },
      );
      fields = (parsed.value ?? {}) as Record<string, unknown>;
      if (parsed.upload)
        file = { name: parsed.upload.filename, sha256: parsed.upload.sha256, size: parsed.upload.size };
    } catch (e) {
      if (!(e instanceof PulseMockError)) throw e;
    }
    const recording: Recording = {
      version: RECORDING_VERSION,
      recordedAt: new Date(systemClock.now()).toISOString(),
      upstream: upstream.origin,
      request: {
        method: 'POST',
        route,
        path: url.pathname,
        fields: redact(fields, [key]) as Record<string, unknown>,
        ...(file ? { file } : {}),
      },
      response: { status: answer.status, body: redact(json, [key]) },
    };
    const submitted = (json as { job_id?: unknown; status?: unknown } | null)?.job_id;
    const async = typeof submitted === 'string' && answer.ok && !('result' in (json as object));
    const first = (json as { status?: unknown }).status;
    if (async) recording.lifecycle = [{ status: typeof first === 'string' ? first : 'pending' }];
    const name = `${String(++seq).padStart(4, '0')}-${route.replace(/[^\w-]+/g, '-')}.json`;
    write(name, recording);
    if (async) jobs.set(submitted, { file: name, recording });
    o.onExchange?.({ method: 'POST', path: url.pathname, status: answer.status, file: name });
  }

  const server = createServer((req, res) => {
    const p = exchange(req, res).catch((e: unknown) => {
      if (!res.headersSent)
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'INTERNAL', message: `[pulse-mock] ${(e as Error).message}` } }));
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`,
    port,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
      await Promise.all([...inFlight]);
      return { recordings: seq };
    },
  };
}
