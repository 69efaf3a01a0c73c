import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'svix';
import { describe, expect, it, vi } from 'vitest';
import { startCli } from '../installed/cli-process.js';
import { startReceiver } from '../receivers.js';
import { report } from './report.js';

describe('--state FILE across kill -9', () => {
  it('keeps every accepted job and delivers every pending message after a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-state-'));
    const state = join(dir, 'pulse-mock.state');
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close(); // the consumer is down during the first run
    const hook = `http://127.0.0.1:${port}/webhooks/pulse`;
    const flags = [
      '--seed',
      '7',
      '--state',
      state,
      '--webhook-url',
      hook,
      '--retry-schedule',
      '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
      '--processing-ms',
      '1500',
      '--queue-ms',
      '100',
    ];

    const first = await startCli(flags);
    const secret = first.ready.webhookSecret as string;
    const submit = async (url: string, headers: Record<string, string> = {}) =>
      (
        (await (
          await fetch(`${url}/extract`, {
            method: 'POST',
            headers: { 'x-api-key': 'k', 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ file_url: 'https://e.com/invoice.pdf', async: true }),
          })
        ).json()) as { job_id: string }
      ).job_id;
    const ids = [
      await submit(first.ready.url),
      await submit(first.ready.url),
      await submit(first.ready.url, { 'x-pulse-mock-outcome': 'failed' }),
    ];
    // Jobs now processing; deliveries failing and pending: as the CLI's own lines say.
    try {
      await vi.waitFor(
        () => {
          expect(
            first.lines.filter((l) => l.includes('"event":"job"') && l.includes('"type":"job.processing"')),
          ).toHaveLength(3);
          expect(first.lines.some((l) => l.includes('"event":"delivery"'))).toBe(true);
        },
        { timeout: 10_000, interval: 20 },
      );
    } finally {
      first.child.kill('SIGKILL'); // the crash under test, and never a process left behind
      await first.exited;
    }
    expect(readFileSync(state, 'utf8')).toContain(ids[0]);

    const receiver = await startReceiver(() => ({ status: 200 }), port);
    const second = await startCli(flags);
    try {
      expect(second.ready.restored).toMatchObject({ jobs: 3, endpoints: 1, starts: 1 });
      expect(second.ready.webhookSecret).toBe(secret); // the consumer's secret still works
      const late = await submit(second.ready.url);
      expect(ids).not.toContain(late); // ids never repeat across restarts
      // A new endpoint after the restart must not take the restored one's id (it used to: same seed, same first id).
      const admin = (method: string, path: string, body?: unknown) =>
        fetch(`${second.ready.url}/_mock${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).then((r) => r.json() as Promise<Record<string, unknown>>);
      const added = await admin('POST', '/endpoints', { url: 'http://127.0.0.1:1/other' });
      const { data: all } = (await admin('GET', '/endpoints')) as unknown as { data: { url: string }[] };
      expect(all.map((e) => e.url).sort()).toEqual([hook, 'http://127.0.0.1:1/other'].sort());
      await admin('DELETE', `/endpoints/${String(added.id)}`);
      const statuses = async () =>
        Promise.all(
          ids.map(
            async (id) =>
              (
                (await (await fetch(`${second.ready.url}/job/${id}`, { headers: { 'x-api-key': 'k' } })).json()) as {
                  status: string;
                }
              ).status,
          ),
        );
      const s = await vi.waitFor(
        async () => {
          const now = await statuses();
          expect(now).toEqual(['completed', 'completed', 'failed']);
          return now;
        },
        { timeout: 10_000, interval: 50 },
      );
      // Every event of every job that was accepted before the crash reaches the consumer, signed with the same secret.
      const wanted = ids.flatMap((id, i) =>
        ['job.created', 'job.processing', i === 2 ? 'job.failed' : 'job.completed'].map((t) => `${id} ${t}`),
      );
      const got = () =>
        new Set(
          receiver.received.map((r) => {
            const e = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
              type: string;
              data: { job_id: string };
            };
            return `${e.data.job_id} ${e.type}`;
          }),
        );
      await vi.waitFor(
        () =>
          expect(
            wanted.filter((w) => !got().has(w)),
            'every pre-crash event delivered',
          ).toEqual([]),
        { timeout: 20_000, interval: 100 },
      );
      report('restart', {
        restartsSurvived: 1,
        jobsBeforeCrash: ids.length,
        jobsAfter: s.length,
        eventsExpected: wanted.length,
        eventsDelivered: wanted.filter((w) => got().has(w)).length,
        lost: wanted.filter((w) => !got().has(w)).length,
      });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await receiver.close();
    }
  }, 60_000);
});
