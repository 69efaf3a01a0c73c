import { afterEach, describe, expect, it } from 'vitest';
import { startCarefulConsumer } from '../../examples/consumers/careful-consumer.js';
import { startNaiveConsumer } from '../../examples/consumers/naive-consumer.js';
import { CHECK_IDS } from '../../src/scenarios/check.js';
import { freePort, startReceiver } from '../receivers.js';
import { spawn } from 'node:child_process';
import { BIN, runCli } from './cli-process.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

const cli = (args: string[]) => runCli(args, {}, 60_000);

describe('pulse-mock check', () => {
  it('passes the careful example consumer on every check, exit 0', async () => {
    const apiPort = await freePort();
    const consumer = await startCarefulConsumer({ secret: SECRET, pulseBaseUrl: `http://127.0.0.1:${apiPort}` });
    open.push(consumer);
    const r = await cli([
      'check',
      '--target',
      consumer.url,
      '--secret',
      SECRET,
      '--api-port',
      String(apiPort),
      '--reporter',
      'json',
    ]);
    const report = JSON.parse(r.stdout);
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of report.checks) expect(c.passed, `${c.id}: ${c.detail}`).toBe(true);
    expect(report.passed).toBe(true);
    expect(r.code).toBe(0);
  });

  it('fails the naive example consumer on the signature checks, exit 1, and says why', async () => {
    const apiPort = await freePort();
    const consumer = await startNaiveConsumer();
    open.push(consumer);
    const r = await cli(['check', '--target', consumer.url, '--secret', SECRET, '--api-port', String(apiPort)]);
    expect(r.code).toBe(1);
    const line = (id: string) => r.stdout.split('\n').find((l) => l.includes(` ${id} `)) ?? '';
    for (const id of [
      'wrong-secret-rejected',
      'tampered-body-rejected',
      'missing-headers-rejected',
      'stale-timestamp-rejected',
      'future-timestamp-rejected',
      'unknown-version-rejected',
    ]) {
      expect(line(id)).toMatch(/^ {2}✗/);
      expect(line(id)).toMatch(/does not verify signatures/);
    }
    for (const id of [
      'valid-signature-accepted',
      'fast-response',
      'duplicate-tolerated',
      'unknown-event-tolerated',
      'out-of-order-tolerated',
      'multi-signature-accepted',
    ])
      expect(line(id)).toMatch(/^ {2}✓/);
    expect(line('fetches-job-after-completion')).toMatch(/✗.*no GET \/job\//);
    expect(r.stdout).toMatch(/6\/13 checks passed/);
  });

  it('names the whsec_ trap when every valid delivery gets a 5xx, and writes JUnit', async () => {
    const { createServer: http } = await import('node:http');
    const server = http((_q, s) => s.writeHead(500).end('binascii.Error: Incorrect padding'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => server.close(() => r())) });
    const target = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const r = await cli([
      'check',
      '--target',
      target,
      '--secret',
      SECRET,
      '--api-port',
      String(await freePort()),
      '--reporter',
      'junit',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml/);
    expect(r.stdout).toMatch(
      /<testcase classname="pulse-mock check" name="valid-signature-accepted"[^>]*>\s*<failure message="answered 500 to a correctly signed job.completed: [^"]*whsec_ prefix/,
    );
    expect(r.stdout).toMatch(/tests="13"/);
  });

  it('refuses a missing target or a bad secret with exit 2', async () => {
    expect((await cli(['check', '--secret', SECRET])).code).toBe(2);
    const bad = await cli(['check', '--target', 'http://127.0.0.1:9/x', '--secret', 'plain']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --secret: a webhook secret starts with "whsec_"/);
  });

  it('check and scenario run both listen on --api-port; a taken port is one line naming the flag, exit 2', async () => {
    const taken = await startReceiver();
    open.push(taken);
    for (const command of [['check'], ['scenario', 'run', 'happy-path']]) {
      const r = await cli([
        ...command,
        '--target',
        'http://127.0.0.1:9/x',
        '--secret',
        SECRET,
        '--api-port',
        String(taken.port),
      ]);
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr.trim()).toBe(
        `[pulse-mock] error: --api-port ${taken.port} is in use; stop what uses it or pick another (and point the consumer at it)`,
      );
    }
    // Without the flag, both say the default, 4050, is where the consumer must find the API.
    for (const command of [['check'], ['scenario', 'run', 'happy-path']]) {
      const help = await cli([...command, '--help']);
      expect(help.stdout, command.join(' ')).toMatch(/--api-port[^\n]*\[default: 4050\]/);
    }
  });
});

describe('pulse-mock scenario', () => {
  it('stops quietly when its output is closed early (`scenario list | head -1`)', async () => {
    const child = spawn(process.execPath, [BIN, 'scenario', 'list']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Close the pipe after the first line, as head does; later lines then hit EPIPE.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('lists the catalogue, runs scenarios by name with progress, exit 0 when all held, 1 otherwise', async () => {
    const list = await cli(['scenario', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^happy-path +One async job/m);
    const apiPort = await freePort();
    const consumer = await startCarefulConsumer({ secret: SECRET, pulseBaseUrl: `http://127.0.0.1:${apiPort}` });
    open.push(consumer);
    const ok = await cli([
      'scenario',
      'run',
      'happy-path',
      'job-failed',
      '--target',
      consumer.url,
      '--secret',
      SECRET,
      '--api-port',
      String(apiPort),
      '--seed',
      '3',
    ]);
    expect(ok.stdout).toMatch(/scenario happy-path: /);
    expect(ok.stdout).toMatch(/✓ job.completed acknowledged with a 2xx/);
    expect(ok.stdout).toMatch(/PASS job-failed/);
    expect(ok.stdout).toMatch(/2 of 2 scenarios passed \(seed 3; replay with --seed 3\)/);
    expect(ok.code).toBe(0);

    const naive = await startNaiveConsumer();
    open.push(naive);
    const bad = await cli([
      'scenario',
      'run',
      'stale-replay',
      '--target',
      naive.url,
      '--secret',
      SECRET,
      '--reporter',
      'json',
    ]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      passed: false,
      scenarios: [{ name: 'stale-replay', passed: false }],
    });
    const unknown = await cli(['scenario', 'run', 'no-such-thing', '--target', naive.url, '--secret', SECRET]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no scenario "no-such-thing"/);
  }, 60_000);
});
