import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, testApp, type TestApp } from '../helpers.js';
import { whenLog } from '../receivers.js';
import { pythonPath } from '../../scripts/test-deps.js';

/**
 * Pulse's own documented consumer (seed 004: Flask + verify_webhook, unmodified) verifying our
 * deliveries. Flask comes from Debian's python3-flask (scripts/test-deps.ts installs it).
 */
const PYTHON = pythonPath();
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const children: ChildProcessWithoutNullStreams[] = [];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const a of apps.splice(0)) await a.app.close();
});

async function startConsumer(secretArg: string): Promise<{ url: string; lines: string[] }> {
  const child = spawn(PYTHON, [new URL('../consumers/seed_flask_consumer.py', import.meta.url).pathname, secretArg]);
  children.push(child);
  const lines: string[] = [];
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Flask consumer did not start: ${err}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const o = JSON.parse(line);
        if (o.port) {
          clearTimeout(timer);
          resolve(o.port);
        } else lines.push(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`Flask consumer exited ${code}: ${err}`)));
  });
  return { url: `http://127.0.0.1:${port}/webhook`, lines };
}

async function deliverJob(url: string) {
  const t = await testApp({
    webhookUrl: [url],
    webhookSecret: SECRET,
    retrySchedule: '',
    processingMs: 10,
    queueMs: 10,
  });
  apps.push(t);
  const jobId = (await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/invoice.pdf', async: true })).json()
    .job_id as string;
  await t.clock.advance(20);
  const log = t.runtime.dispatcher.log;
  await whenLog(log, () => log.counts().succeeded + log.counts().failed === 3, 'three deliveries', 10_000);
  return { t, jobId, statuses: log.list().map((d) => d.attempts[0]?.status) };
}

describe("the seed's Flask consumer with its verify_webhook", () => {
  it('accepts every delivery when given the key (the base64 part of the whsec_ secret)', async () => {
    const consumer = await startConsumer(SECRET.slice('whsec_'.length));
    const { jobId, statuses } = await deliverJob(consumer.url);
    expect(statuses).toEqual([200, 200, 200]);
    await vi.waitFor(() => expect(consumer.lines).toHaveLength(3), { timeout: 10_000 });
    expect(consumer.lines.map((l) => JSON.parse(l))).toEqual([
      { received: 'job.created', job_id: jobId },
      { received: 'job.processing', job_id: jobId },
      { received: 'job.completed', job_id: jobId },
    ]);
  });

  it('rejects every valid delivery when handed the secret with its whsec_ prefix, as the snippet invites (a known trap)', async () => {
    const consumer = await startConsumer(SECRET);
    const { statuses } = await deliverJob(consumer.url);
    for (const s of statuses) expect(s === 401 || s === 500).toBe(true);
  });

  it('rejects deliveries signed with two secrets during a rotation, since it splits on the first comma (a known trap)', async () => {
    const consumer = await startConsumer(SECRET.slice('whsec_'.length));
    const t = await testApp({
      webhookUrl: [consumer.url],
      webhookSecret: SECRET,
      retrySchedule: '',
      processingMs: 10,
      queueMs: 10,
    });
    apps.push(t);
    const ep = t.runtime.endpoints.list()[0]!;
    // The old secret stays second in the header; the consumer still holds the old key.
    t.runtime.endpoints.rotateSecret(ep.id, 60_000);
    await json(t.app, 'POST', '/extract', { file_url: 'https://e.com/invoice.pdf', async: true });
    await whenLog(t.runtime.dispatcher.log, () => t.runtime.dispatcher.log.counts().failed === 1, 'condition', 10_000);
    expect(t.runtime.dispatcher.log.list()[0]?.attempts[0]?.status).toBe(401);
  });
});
