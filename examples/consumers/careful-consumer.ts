/**
 * A careful Pulse webhook consumer, following Pulse's Production Checklist: verifies every
 * signature on the raw body (standardwebhooks), answers fast, dedupes on webhook-id, ignores
 * event types it does not know, and fetches the canonical job from GET /job/{id}, retrying
 * 429/5xx. `pulse-mock check` grades it all green.
 *
 * Run: WEBHOOK_SECRET=whsec_... PULSE_BASE_URL=http://127.0.0.1:4050 PORT=3000 npx tsx examples/consumers/careful-consumer.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ConsumerOptions {
  port?: number;
  secret: string;
  pulseBaseUrl: string;
  apiKey?: string;
}

export interface RunningConsumer {
  url: string;
  /** Jobs fetched after completion or failure, by id, with the status GET /job returned. */
  fetched: Map<string, string>;
  close(): Promise<void>;
}

export async function startCarefulConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const webhook = new Webhook(o.secret);
  const seen = new Set<string>();
  const fetched = new Map<string, string>();

  async function fetchJob(jobId: string): Promise<void> {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const res = await fetch(`${o.pulseBaseUrl}/job/${encodeURIComponent(jobId)}`, {
        headers: { 'x-api-key': o.apiKey ?? 'careful-consumer' },
      }).catch(() => undefined);
      if (!res) {
        await new Promise((r) => setTimeout(r, 100 * attempt)); // network error: try again
        continue;
      }
      if (res.ok) {
        fetched.set(jobId, ((await res.json()) as { status: string }).status);
        return;
      }
      if (res.status !== 429 && res.status < 500) return;
      const retryAfter = Number(res.headers.get('retry-after') ?? '0');
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(100, retryAfter * 1000, 100 * 2 ** attempt))));
    }
  }

  const server = createServer((req, res) => {
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
      if (jobId && (event.type === 'job.completed' || event.type === 'job.failed'))
        void fetchJob(jobId).catch(() => {});
    });
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/pulse`,
    fetched,
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
  console.log(`careful consumer listening on ${c.url}`);
}
