import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Webhook consumers with the bugs real ones have, one planted bug each, written as fetch
 * handlers (`(Request) => Response`, as a Next.js route handler is): the check must find each
 * with the right severity, over HTTP and in-process. `careful` has none.
 *
 * Each keeps what it did per job (`effects`): the status it recorded and how many times it acted
 * (its work: think of a charge), and serves it at `GET /_test/effects/{job_id}` over HTTP.
 */
export const FLAWS = [
  'careful',
  /** Acts on every delivery of a final event: no dedupe on webhook-id, no idempotent work. */
  'acts-on-every-delivery',
  /** Records each event's status as it arrives: job.processing after job.completed moves the job back. */
  'state-goes-back',
  /** Records data.status from the payload; never calls GET /job. */
  'trusts-payload-status',
  /** Takes every delivery without verifying it. */
  'no-verification',
  /** Verifies the HMAC but not the timestamp: a replay a day later is taken. */
  'no-timestamp-tolerance',
  /** Splits webhook-signature on its first comma (as the snippet in Pulse's docs): a rotation's list fails. */
  'first-comma-only',
  /** Takes any entry whose HMAC matches, whatever its version label (v2, or none). */
  'ignores-version-label',
  /** Does its work before answering a new job's first delivery, taking longer than Pulse's 5 s. */
  'slow',
] as const;
export type Flaw = (typeof FLAWS)[number];

export interface JobEffects {
  status: string | null;
  acted: number;
}

export interface ZooConsumer {
  flaw: Flaw;
  fetch: (request: Request) => Promise<Response>;
  effects: (jobId: string) => JobEffects;
}

const FINAL = new Set(['completed', 'failed', 'canceled']);
const FINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);
const EVENT_STATUS: Record<string, string> = {
  'job.created': 'pending',
  'job.processing': 'processing',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.cancelled': 'canceled',
};
export const SLOW_MS = 5200;

export function zooConsumer(flaw: Flaw, o: { secret: string; pulseBaseUrl: () => string }): ZooConsumer {
  const key = Buffer.from(o.secret.replace(/^whsec_/, ''), 'base64');
  const seen = new Set<string>();
  const jobs = new Map<string, JobEffects>();
  const jobOf = (id: string) => jobs.get(id) ?? jobs.set(id, { status: null, acted: 0 }).get(id)!;

  function verified(h: Headers, body: string): boolean {
    if (flaw === 'no-verification') return true;
    const id = h.get('webhook-id');
    const ts = h.get('webhook-timestamp');
    const header = h.get('webhook-signature');
    if (!id || !ts || !header || !/^\d+$/.test(ts)) return false;
    if (flaw !== 'no-timestamp-tolerance' && Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
    const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
    const matches = (sig: string | undefined) => {
      const got = Buffer.from(sig ?? '', 'base64');
      return got.length === expected.length && timingSafeEqual(got, expected);
    };
    if (flaw === 'first-comma-only') return matches(header.split(',')[1]);
    return header.split(' ').some((entry) => {
      const [label, sig] = entry.includes(',')
        ? [entry.slice(0, entry.indexOf(',')), entry.split(',')[1]]
        : ['', entry];
      return (flaw === 'ignores-version-label' || label === 'v1') && matches(sig);
    });
  }

  /** A status recorded; a final one stays unless this consumer lets state go back. The work happens once, on the first final status. */
  function record(jobId: string, status: string) {
    const job = jobOf(jobId);
    const wasFinal = job.status !== null && FINAL.has(job.status);
    if (wasFinal && flaw !== 'state-goes-back') return;
    job.status = status;
    if (FINAL.has(status) && !wasFinal) job.acted += 1;
  }

  async function fetchStatus(jobId: string): Promise<string | undefined> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await fetch(`${o.pulseBaseUrl()}/job/${encodeURIComponent(jobId)}`, {
        headers: { 'x-api-key': 'zoo' },
      }).catch(() => undefined);
      if (res?.ok) return ((await res.json()) as { status: string }).status;
      if (res && res.status !== 429 && res.status < 500) return undefined;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
    return undefined;
  }

  async function work(type: string, jobId: string, payloadStatus: unknown) {
    if (flaw === 'trusts-payload-status') {
      if (typeof payloadStatus === 'string') record(jobId, payloadStatus);
      return;
    }
    if (!FINAL_EVENTS.has(type)) {
      if (EVENT_STATUS[type]) record(jobId, EVENT_STATUS[type]);
      return;
    }
    const status = await fetchStatus(jobId);
    if (status === undefined) return;
    if (flaw === 'acts-on-every-delivery') {
      const job = jobOf(jobId);
      job.status = status;
      job.acted += 1; // once per delivery: the double charge
      return;
    }
    record(jobId, status);
  }

  return {
    flaw,
    effects: (jobId) => ({ ...(jobs.get(jobId) ?? { status: null, acted: 0 }) }),
    async fetch(request) {
      const body = await request.text();
      if (!verified(request.headers, body)) return new Response('invalid signature', { status: 401 });
      const id = request.headers.get('webhook-id') ?? '';
      if (flaw !== 'acts-on-every-delivery') {
        if (seen.has(id)) return new Response('duplicate', { status: 200 });
        seen.add(id);
      }
      let event: { type?: string; data?: { job_id?: string; status?: unknown } };
      try {
        event = JSON.parse(body) as typeof event;
      } catch {
        return new Response('not JSON', { status: 400 });
      }
      const jobId = event.data?.job_id;
      if (!jobId || !event.type) return new Response('ok', { status: 200 });
      const isNew = !jobs.has(jobId);
      if (flaw === 'slow' && isNew) {
        jobOf(jobId);
        await new Promise((r) => setTimeout(r, SLOW_MS)); // the work done before answering
      }
      // The regressor does its work before answering, so arrival order is the order it records in.
      if (flaw === 'state-goes-back') await work(event.type, jobId, event.data?.status);
      else void work(event.type, jobId, event.data?.status).catch(() => {});
      return new Response('ok', { status: 200 });
    },
  };
}

/** Serves a zoo consumer on 127.0.0.1: its webhook route and its effects probe. */
export async function serveZoo(
  consumer: ZooConsumer,
): Promise<{ url: string; effectsUrl: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const probe = /^\/_test\/effects\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && probe) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(consumer.effects(decodeURIComponent(probe[1]!))));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method ?? 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
      void consumer.fetch(request).then(async (r) => {
        res.writeHead(r.status, Object.fromEntries(r.headers)).end(await r.text());
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/pulse`,
    effectsUrl: `http://127.0.0.1:${port}/_test/effects/{job_id}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
