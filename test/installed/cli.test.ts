import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { runCli, startCli } from './cli-process.js';

/** Polls as a client in another process must (the CLI is one): through vi.waitFor, bounded. */
async function pollUntilDone(url: string, key: string, id: string) {
  return vi.waitFor(
    async () => {
      const job = (await (await fetch(`${url}/job/${id}`, { headers: { 'x-api-key': key } })).json()) as {
        status: string;
      };
      expect(['completed', 'failed']).toContain(job.status);
      return job;
    },
    { timeout: 6_000, interval: 20 },
  );
}

describe('pulse-mock start', () => {
  it('prints a JSON ready line, serves a job to completion over real HTTP, and stops cleanly on SIGTERM', async () => {
    const cli = await startCli(['--seed', '5', '--processing-ms', '50', '--queue-ms', '10']);
    expect(cli.ready).toMatchObject({
      event: 'ready',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      seed: 5,
      apiKeyRequired: false,
    });
    const { url, apiKey } = cli.ready;
    const sub = await fetch(`${url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: 'https://example.com/invoice.pdf', async: true }),
    });
    const { job_id } = (await sub.json()) as { job_id: string };
    const job = (await pollUntilDone(url, apiKey, job_id)) as { status: string; result: { markdown: string } };
    expect(job.status).toBe('completed');
    expect(job.result.markdown).toMatch(/INVOICE/);
    cli.child.kill('SIGTERM');
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    const events = cli.lines.map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'job').map((e) => e.type)).toEqual([
      'job.created',
      'job.processing',
      'job.completed',
    ]);
    expect(events.some((e) => e.event === 'request' && e.url === '/extract' && e.status === 200)).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'shutdown', signal: 'SIGTERM', jobs: 1, unfinished: 0 });
  });

  it('enforces --api-key and takes settings from env and a config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-cli-'));
    writeFileSync(
      join(dir, 'pulse-mock.config.json'),
      JSON.stringify({ outcomes: [{ match: '*broken*', outcome: 'failed', error: 'broken file' }], processingMs: 20 }),
    );
    const cli = await startCli(['--api-key', 'sk_cli'], {
      cwd: dir,
      env: { PULSE_MOCK_SEED: '77', PULSE_MOCK_QUEUE_MS: '5' },
    });
    try {
      expect(cli.ready).toMatchObject({
        apiKey: 'sk_cli',
        apiKeyRequired: true,
        seed: 77,
        configFile: join(dir, 'pulse-mock.config.json'),
      });
      const denied = await fetch(`${cli.ready.url}/job/x`, { headers: { 'x-api-key': 'other' } });
      expect(denied.status).toBe(401);
      const sub = await fetch(`${cli.ready.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk_cli', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/broken.pdf', async: true }),
      });
      const job = await pollUntilDone(cli.ready.url, 'sk_cli', ((await sub.json()) as { job_id: string }).job_id);
      expect(job).toMatchObject({ status: 'failed', error: 'broken file' });
    } finally {
      cli.child.kill('SIGINT');
      expect((await cli.exited).code).toBe(0);
    }
  });

  it('prints a human banner with the seed and the any-key notice by default', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./cli-process.js');
    const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--seed', '9']);
    const text = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Ctrl+C')) {
          clearTimeout(timer);
          resolve(out);
        }
      });
    });
    child.kill('SIGTERM');
    expect(text).toMatch(/\[pulse-mock\] Pulse mock listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/any non-empty x-api-key is accepted/);
    expect(text).toMatch(/seed: +9/);
  });

  it.each([
    [['start', '--port', 'abc'], {}, /invalid --port: "abc"; expected an integer/],
    [['start', '--failure-rate', '2'], {}, /invalid --failure-rate/],
    [['start'], { PULSE_MOCK_PROCESSING_MS: 'soon' }, /invalid PULSE_MOCK_PROCESSING_MS: "soon"/],
    [['start', '--config', '/nonexistent.json'], {}, /cannot read config file/],
    [['start', '--no-such-flag'], {}, /Unknown argument/],
    [['start', '--port'], {}, /Not enough arguments following: port/],
    [[], {}, /Name a command/],
  ])('exits 2 with one line for %j', async (args, env, message) => {
    const r = await runCli(args, env);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[pulse-mock\] error: /);
    expect(lines[0]).toMatch(message);
  });

  it('answers only loopback names and --allowed-host on loopback; beyond it, prints the admin token that opens the admin API', async () => {
    const status = (port: number, host: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/_mock/endpoints', headers: { host, ...headers } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject).end();
      });
    const local = await startCli([], { env: { PULSE_MOCK_ALLOWED_HOST: 'pulse-mock.test' } });
    try {
      expect(await status(local.ready.port, `pulse-mock.test:${local.ready.port}`)).toBe(200);
      expect(await status(local.ready.port, `evil.example:${local.ready.port}`)).toBe(403);
    } finally {
      local.child.kill('SIGINT');
      await local.exited;
    }
    // Every interface; this test talks to 127.0.0.1 only.
    const wide = await startCli(['--host', '0.0.0.0']);
    try {
      expect(wide.ready.adminToken).toMatch(/^[\w-]{20,}$/);
      expect(wide.ready.portal).not.toContain(wide.ready.adminToken);
      expect(await status(wide.ready.port, 'pulse-mock:4050')).toBe(401);
      expect(
        await status(wide.ready.port, 'pulse-mock:4050', { authorization: `Bearer ${wide.ready.adminToken}` }),
      ).toBe(200);
    } finally {
      wide.child.kill('SIGINT');
      await wide.exited;
    }
  });

  it('exits 2 with a clear message when the port is taken', async () => {
    const first = await startCli([]);
    try {
      const r = await runCli(['start', '--port', String(first.ready.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/port \d+ .* already in use/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});

describe('pulse-mock start --webhook-url', () => {
  it('signs deliveries with the printed secret and walks the whole retry schedule under --time-scale', async () => {
    const { startReceiver } = await import('../receivers.js');
    const { Webhook } = await import('svix');
    const failing = await startReceiver(() => ({ status: 503 }));
    const ok = await startReceiver();
    // 0.00001 turns Svix's 27.6 h of retries into about a second of real time.
    const cli = await startCli(['--webhook-url', failing.url, '--webhook-url', ok.url, '--time-scale', '0.00001']);
    try {
      expect(cli.ready.webhookSecret).toMatch(/^whsec_/);
      expect(cli.ready.endpoints.map((e: { url: string }) => e.url)).toEqual([failing.url, ok.url]);
      await fetch(`${cli.ready.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true }),
      });
      const [good] = await ok.waitFor(1);
      expect(
        new Webhook(cli.ready.webhookSecret).verify(good!.body, good!.headers as Record<string, string>),
      ).toMatchObject({ type: 'job.created' });
      // Three events (created, processing, completed), eight attempts each.
      await failing.waitFor(24, 15_000);
      await vi.waitFor(
        () =>
          expect(
            cli.lines.filter((l) => l.includes('"outcome":"failed"')),
            'exhaustion lines',
          ).toHaveLength(3),
        { timeout: 10_000 },
      );
      const deliveries = cli.lines
        .map((l) => JSON.parse(l))
        .filter(
          (e) => e.event === 'delivery' && e.endpointId === cli.ready.endpoints[0].id && e.type === 'job.created',
        );
      expect(deliveries.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(deliveries.at(-1)).toMatchObject({
        outcome: 'failed',
        reason: expect.stringMatching(/exhausted: 8 attempts/),
      });
      const createdId = deliveries[0].messageId;
      expect(failing.received.filter((r) => r.headers['webhook-id'] === createdId)).toHaveLength(8);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await failing.close();
      await ok.close();
    }
  });

  it('rejects a bad --webhook-url or --webhook-secret with exit 2', async () => {
    expect((await runCli(['start', '--webhook-url', 'ftp://x'])).stderr).toMatch(/invalid --webhook-url/);
    const r = await runCli(['start', '--webhook-secret', 'secret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid --webhook-secret: "secret"; expected a whsec_ secret/);
  });
});
