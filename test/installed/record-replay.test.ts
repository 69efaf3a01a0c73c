import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startReceiver } from '../receivers.js';
import { runCli, spawnReady, startCli, type RunningCli } from './cli-process.js';

/**
 * `pulse-mock record` in front of an upstream (a second mock, with its own seed and key), then
 * `pulse-mock start --recordings` with the upstream gone: the installed CLI both ways, over HTTP.
 */
const UPSTREAM_KEY = 'sk_live_upstream_secret_key';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const running: RunningCli[] = [];
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL');
  for (const c of closers.splice(0)) await c.close();
});

/** What a client does: a sync extract, an async one polled to its end, a schema on the sync one, the portal link. */
async function client(base: string, key: string) {
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const sync = await post('/extract', { file_url: 'https://example.com/invoice.pdf' });
  // The SDK's spelling of the same request: matched to the same recording.
  const again = await post('/extract', { fileUrl: 'https://example.com/invoice.pdf' });
  const submitted = await post('/extract', { file_url: 'https://example.com/statement.pdf', async: true });
  let job: Record<string, any> = {};
  for (let i = 0; i < 100 && job.status !== 'completed' && job.status !== 'failed'; i++) {
    job = (await (
      await fetch(`${base}/job/${submitted.body.job_id}`, { headers: { 'x-api-key': key } })
    ).json()) as Record<string, any>;
    if (job.status !== 'completed') await new Promise((r) => setTimeout(r, 25));
  }
  const schema = await post('/schema', {
    extraction_id: sync.body.extraction_id,
    schema_config: { input_schema: { type: 'object', properties: { total: { type: 'number' } } } },
  });
  const portal = await post('/webhook', {});
  return { sync, again, submitted, job, schema, portal };
}

describe('record, then replay with the upstream gone', () => {
  it('keeps every exchange without secrets, and replays it through sync, async, webhooks and chained calls', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pm-recordings-'));
    const upstream = await startCli(['--seed', '1', '--api-key', UPSTREAM_KEY, '--processing-ms', '50']);
    running.push(upstream);
    const recorder = await spawnReady([
      'record',
      '--upstream',
      upstream.ready.url,
      '--out',
      out,
      '--port',
      '0',
      '--json',
    ]);
    running.push(recorder);
    const recorded = await client(recorder.ready.url as string, UPSTREAM_KEY);
    expect(recorded.sync.status).toBe(200);
    expect(recorded.job.status).toBe('completed');

    // SIGINT: stops cleanly, everything written.
    recorder.child.kill('SIGINT');
    expect((await recorder.exited).code).toBe(0);
    expect(recorder.lines.map((l) => JSON.parse(l).event)).toContain('stopped');
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      '0001-extract.json',
      '0002-extract.json',
      '0003-extract.json',
      '0004-schema.json',
      '0005-webhook.json',
    ]);
    const text = files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    // Never a secret: the key, a whsec_ secret, the portal link's token.
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toMatch(/whsec_(?!REDACTED)/);
    const portal = JSON.parse(readFileSync(join(out, '0005-webhook.json'), 'utf8'));
    expect(portal.response.body.link).toMatch(/token=REDACTED$/);
    const async = JSON.parse(readFileSync(join(out, '0003-extract.json'), 'utf8'));
    expect(async).toMatchObject({ version: 1, request: { route: 'extract', fields: { async: true } } });
    expect(async.lifecycle.map((e: { status: string }) => e.status).at(-1)).toBe('completed');

    upstream.child.kill('SIGKILL');
    const receiver = await startReceiver();
    closers.push(receiver);
    const replay = await startCli([
      '--seed',
      '2',
      '--recordings',
      out,
      '--webhook-url',
      receiver.url,
      '--webhook-secret',
      SECRET,
      '--processing-ms',
      '50',
    ]);
    running.push(replay);
    const replayed = await client(replay.ready.url as string, 'any-key');
    // The recorded bodies, with this run's ids.
    expect(replayed.sync.body.markdown).toBe(recorded.sync.body.markdown);
    expect(replayed.sync.body.extraction_id).not.toBe(recorded.sync.body.extraction_id);
    expect(replayed.again.body.markdown).toBe(recorded.again.body.markdown);
    expect(replayed.job.result.markdown).toBe(recorded.job.result.markdown);
    expect(replayed.job.result.extraction_id).not.toBe(recorded.job.result.extraction_id);
    // The ids chain: this run's extraction_id finds the recorded schema run.
    expect(replayed.schema.status).toBe(200);
    expect(replayed.schema.body.schema_output).toEqual(recorded.schema.body.schema_output);
    // The job's webhooks, derived from the recorded lifecycle and signed with this mock's secret.
    const events = await receiver.waitUntil(
      (r) => r.some((x) => JSON.parse(x.body).type === 'job.completed'),
      'job.completed',
    );
    const completed = events.find((x) => JSON.parse(x.body).type === 'job.completed')!;
    const verified = new Webhook(SECRET).verify(completed.body, completed.headers as Record<string, string>) as {
      data: { job_id: string };
    };
    expect(verified.data.job_id).toBe(replayed.submitted.body.job_id);
  }, 60_000);

  it('--recordings-strict refuses a request no recording matches; a bad recording stops the start with one line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pm-recordings-'));
    const strict = await startCli(['--recordings', out, '--recordings-strict']);
    running.push(strict);
    const r = await fetch(`${strict.ready.url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: 'https://example.com/a.pdf' }),
    });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('RECORDING_NOT_FOUND');
    writeFileSync(join(out, '0001-extract.json'), '{"version": 99}');
    const bad = await runCli(['start', '--port', '0', '--recordings', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      `[pulse-mock] error: invalid recording ${join(out, '0001-extract.json')}: not a pulse-mock recording of version 1 (got version 99)`,
    );
  });
});
