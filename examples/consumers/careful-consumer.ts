/**
 * A careful Pulse webhook consumer, following Pulse's Production Checklist: verifies every
 * signature on the raw body (standardwebhooks), answers fast, dedupes on webhook-id, ignores
 * event types it does not know, and records the canonical job from GET /job/{id}, retrying
 * 429/5xx, never moving a job back from a final status. `pulse-mock check` grades it all green.
 *
 * Its work for a job (here: a counter; in real life a write, a charge, an email) happens once,
 * when it first learns the job's final status from GET /job. In test mode it answers
 * `GET /_test/effects/{job_id}` with `{ "status", "acted" }`, the effects probe the check reads.
 *
 * Run: WEBHOOK_SECRET=whsec_... PULSE_BASE_URL=http://127.0.0.1:4050 PORT=3000 npx tsx examples/consumers/careful-consumer.ts
 * Check: npx pulse-mock check --target http://127.0.0.1:3000/webhooks/pulse --secret whsec_... \
 *          --effects-url 'http://127.0.0.1:3000/_test/effects/{job_id}'
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ConsumerOptions {
  port?: number;
  secret: string;
  /** The Pulse API base URL, or a function giving it (an in-process consumer learns it late). */
  pulseBaseUrl: string | (() => string);
  apiKey?: string;
}

/** What the consumer knows about a job: the status it recorded and how many times it acted. */
export interface JobEffects {
  status: string | null;
  acted: number;
}

export interface CarefulConsumer {
  /** The webhook route and the test-mode effects route, as a Node request listener. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The effects probe, in-process. */
  effects: (jobId: string) => JobEffects;
  /** Jobs fetched after a final event, by id, with the status GET /job returned. */
  fetched: Map<string, string>;
}

export interface RunningConsumer extends CarefulConsumer {
  url: string;
  /** `GET` this with `{job_id}` replaced: the effects probe over HTTP. */
  effectsUrl: string;
  close(): Promise<void>;
}

const FINAL = new Set(['completed', 'failed', 'canceled', 'cancelled']);
const FINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);
const PROGRESS: Record<string, string> = { 'job.created': 'pending', 'job.processing': 'processing' };

export function createCarefulConsumer(o: ConsumerOptions): CarefulConsumer {
  const webhook = new Webhook(o.secret);
  const seen = new Set<string>();
  const fetched = new Map<string, string>();
  const jobs = new Map<string, JobEffects>();
  const baseUrl = () => (typeof o.pulseBaseUrl === 'function' ? o.pulseBaseUrl() : o.pulseBaseUrl);
  const jobOf = (id: string) => jobs.get(id) ?? jobs.set(id, { status: null, acted: 0 }).get(id)!;

  /** Records a status; a final one is never replaced, and the work is done when the first arrives. */
  function record(jobId: string, status: string) {
    const job = jobOf(jobId);
    if (job.status !== null && FINAL.has(job.status)) return;
    job.status = status;
    if (FINAL.has(status)) job.acted += 1; // the job's work, once
  }

  async function fetchJob(jobId: string): Promise<void> {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const res = await fetch(`${baseUrl()}/job/${encodeURIComponent(jobId)}`, {
        headers: { 'x-api-key': o.apiKey ?? 'careful-consumer' },
      }).catch(() => undefined);
      if (!res) {
        await new Promise((r) => setTimeout(r, 100 * attempt)); // network error: try again
        continue;
      }
      if (res.ok) {
        const { status } = (await res.json()) as { status: string };
        fetched.set(jobId, status);
        record(jobId, status);
        return;
      }
      if (res.status !== 429 && res.status < 500) return;
      const retryAfter = Number(res.headers.get('retry-after') ?? '0');
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(100, retryAfter * 1000, 100 * 2 ** attempt))));
    }
  }

  function listener(req: IncomingMessage, res: ServerResponse) {
    const probe = /^\/_test\/effects\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && probe) {
      const job = jobs.get(decodeURIComponent(probe[1]!)) ?? { status: null, acted: 0 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let event: { type: string; data?: { job_id?: string } };
      try {
        event = webhook.verify(raw, req.headers as Record<string, string>) as typeof event;
      } catch {
        res.writeHead(401).end('invalid signature');
        return;
      }
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) {
        res.writeHead(200).end('duplicate');
        return;
      }
      seen.add(id);
      res.writeHead(200).end('ok'); // acknowledge first; the work happens after
      const jobId = event.data?.job_id;
      if (!jobId) return;
      const progress = PROGRESS[event.type];
      if (progress) record(jobId, progress);
      // The payload is a notification: the job's state is what GET /job says.
      if (FINAL_EVENTS.has(event.type)) void fetchJob(jobId).catch(() => {});
    });
  }

  return { listener, fetched, effects: (jobId) => ({ ...(jobs.get(jobId) ?? { status: null, acted: 0 }) }) };
}

export async function startCarefulConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const consumer = createCarefulConsumer(o);
  const server = createServer(consumer.listener);
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    ...consumer,
    url: `http://127.0.0.1:${port}/webhooks/pulse`,
    effectsUrl: `http://127.0.0.1:${port}/_test/effects/{job_id}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const c = await startCarefulConsumer({
    port: Number(process.env.PORT ?? 3000),
    secret: process.env.WEBHOOK_SECRET ?? '',
    pulseBaseUrl: process.env.PULSE_BASE_URL ?? 'http://127.0.0.1:4050',
    ...(process.env.PULSE_API_KEY ? { apiKey: process.env.PULSE_API_KEY } : {}),
  });
  console.log(`careful consumer listening on ${c.url} (effects: ${c.effectsUrl})`);
}
