import { afterEach, describe, expect, it } from 'vitest';
import { startCarefulConsumer } from '../../examples/consumers/careful-consumer.js';
import { startNaiveConsumer } from '../../examples/consumers/naive-consumer.js';
import { CHECK_IDS } from '../../src/scenarios/check.js';
import { freePort, startReceiver } from '../receivers.js';
import { spawn } from 'node:child_process';
import { BIN, runCli } from './cli-process.js';
import { xmllint } from '../junit.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

const cli = (args: string[]) => runCli(args, {}, 60_000);
/** The careful example consumer, closed after the test, pointed at a free port for the mock's API. */
async function careful() {
  const apiPort = await freePort();
  const consumer = await startCarefulConsumer({ secret: SECRET, pulseBaseUrl: `http://127.0.0.1:${apiPort}` });
  open.push(consumer);
  return { apiPort, consumer };
}
/** `check` against `target` with the example secret, the mock's API on a free port. */
const checkArgs = async (target: string) => [
  'check',
  '--target',
  target,
  '--secret',
  SECRET,
  '--api-port',
  String(await freePort()),
];

describe('pulse-mock check', () => {
  it('passes the careful example consumer on every check, its effects read through --effects-url, exit 0', async () => {
    const { apiPort, consumer } = await careful();
    const r = await cli([
      'check',
      '--target',
      consumer.url,
      '--secret',
      SECRET,
      '--api-port',
      String(apiPort),
      '--effects-url',
      consumer.effectsUrl,
      '--reporter',
      'json',
    ]);
    const report = JSON.parse(r.stdout);
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual([...CHECK_IDS]);
    expect(report.checks.every((c: { graded: boolean }) => c.graded)).toBe(true);
    for (const c of report.checks) expect(c.passed, `${c.id}: ${c.detail}`).toBe(true);
    expect(report.passed).toBe(true);
    expect(report.failOn).toBe('warning');
    // Each check says what it sent and what came back, and how long it took.
    const valid = report.checks.find((c: { id: string }) => c.id === 'valid-signature-accepted');
    expect(valid.evidence[0]).toMatchObject({
      sent: expect.stringMatching(/^job.completed, webhook-id msg_/),
      got: expect.stringMatching(/^2\d\d in \d+ ms/),
    });
    expect(report.checks.every((c: { durationMs: number }) => c.durationMs >= 0)).toBe(true);
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
      'partial-signature-rejected',
      'non-numeric-timestamp-rejected',
      'reserialized-body-rejected',
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
      'v2-beside-v1-accepted',
      'timestamp-within-tolerance-accepted',
    ])
      expect(line(id)).toMatch(/^ {2}✓/);
    expect(line('timestamp-past-tolerance-rejected')).toMatch(/^ {2}! .*warning: accepted a timestamp 5 min 10 s/);
    for (const id of ['wrong-secret-rejected', 'unknown-version-rejected'])
      expect(line(id)).toMatch(/critical: accepted/);
    expect(line('fetches-job-after-completion')).toMatch(/^ {2}! .*warning: no GET \/job\//);
    expect(r.stdout).toMatch(
      /8\/19 checks passed \(9 critical, 2 warning, 0 info; failing on warning and above\); 7 not graded \(no effects probe\)/,
    );
  });

  it('names the whsec_ trap when every valid delivery gets a 5xx, and writes JUnit', async () => {
    const consumer = await startReceiver(() => ({ status: 500, body: 'binascii.Error: Incorrect padding' }));
    open.push(consumer);
    const r = await cli([...(await checkArgs(consumer.url)), '--reporter', 'junit']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml/);
    expect(r.stdout).toMatch(
      /<testcase classname="pulse-mock check" name="valid-signature-accepted"[^>]*>\s*<failure message="answered 500 to a correctly signed job.completed: [^"]*whsec_ prefix/,
    );
    expect(r.stdout).toMatch(new RegExp(`tests="${CHECK_IDS.length}"`));
    expect(r.stdout).toMatch(/name="valid-signature-accepted"[^>]*>\s*<failure message="[^"]*" type="critical"/);
    // Real times, not a row of zeros.
    const times = [...r.stdout.matchAll(/<testcase [^>]*time="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(times.some((t) => t > 0)).toBe(true);
    expect(xmllint(r.stdout)).toMatchObject({ ok: true });
  });

  it('says once that nothing answers at the target: one line, or one critical consumer-reachable check', async () => {
    const target = `http://127.0.0.1:${await freePort()}/hook`;
    const args = await checkArgs(target);
    const pretty = await cli(args);
    expect(pretty.code).toBe(1);
    expect(pretty.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^\\[pulse-mock\\] conformance check of ${target}: nothing answers at ${target} \\(.*ECONNREFUSED.*\\): start the consumer, or check --target$`,
      ),
    );
    const json = JSON.parse((await cli([...args, '--reporter', 'json'])).stdout);
    expect(json.checks.map((c: { id: string; severity: string }) => [c.id, c.severity])).toEqual([
      ['consumer-reachable', 'critical'],
    ]);
    expect(json.passed).toBe(false);
  });

  it('grades by severity: a consumer that verifies but answers refusals with a 5xx has warnings only; --fail-on critical passes it', async () => {
    const { Webhook } = await import('svix');
    const consumer = await startReceiver((req) => {
      try {
        new Webhook(SECRET).verify(req.body, req.headers as Record<string, string>);
        return { status: 200 };
      } catch {
        return { status: 500, body: 'invalid signature' }; // should be a 4xx
      }
    });
    open.push(consumer);
    const args = [...(await checkArgs(consumer.url)), '--reporter', 'json'];
    const byDefault = await cli(args);
    const report = JSON.parse(byDefault.stdout);
    const failed = report.checks.filter((c: { passed: boolean | null }) => c.passed === false);
    expect(failed.length).toBeGreaterThan(3);
    expect(failed.every((c: { severity: string }) => c.severity === 'warning')).toBe(true);
    expect([byDefault.code, report.passed]).toEqual([1, false]);
    const lenient = await cli([...args, '--fail-on', 'critical']);
    expect([lenient.code, JSON.parse(lenient.stdout).passed]).toEqual([0, true]);
  });

  it('refuses a missing target, a bad secret or an effects URL without {job_id} with exit 2', async () => {
    expect((await cli(['check', '--secret', SECRET])).code).toBe(2);
    const bad = await cli(['check', '--target', 'http://127.0.0.1:9/x', '--secret', 'plain']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --secret: a webhook secret starts with "whsec_"/);
    const noPlaceholder = await cli([
      ...(await checkArgs('http://127.0.0.1:9/x')),
      '--effects-url',
      'http://x/effects',
    ]);
    expect([noPlaceholder.code, noPlaceholder.stderr.trim()]).toEqual([
      2,
      '[pulse-mock] error: --effects-url must be an http(s) URL with {job_id} in it, got "http://x/effects"',
    ]);
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

  it('runs the whole catalogue on mock time, and a long report through a pipe arrives whole', async () => {
    const { apiPort, consumer } = await careful();
    const r = await cli([
      'scenario',
      'run',
      '--all',
      '--target',
      consumer.url,
      '--secret',
      SECRET,
      '--api-port',
      String(apiPort),
      '--reporter',
      'json',
    ]);
    // Hundreds of KB (burst-500-jobs lists 1500 deliveries): a CLI that exits before its pipe
    // drains cuts the JSON at 64 KiB or so.
    expect(r.stdout.length).toBeGreaterThan(200_000);
    const report = JSON.parse(r.stdout) as {
      passed: boolean;
      scenarios: { name: string; passed: boolean; skippedMs: number; realDelay?: string }[];
    };
    expect(report.scenarios.filter((s) => !s.passed)).toEqual([]);
    expect(r.code).toBe(0);
    // Jobs, retries and the outage ran on mock time that skipped ahead while nothing was in flight.
    const skipped = Object.fromEntries(report.scenarios.map((s) => [s.name, s.skippedMs]));
    expect(skipped['consumer-down-then-back']).toBeGreaterThanOrEqual(1500);
    expect(skipped['happy-path']).toBeGreaterThanOrEqual(300);
    expect(report.scenarios.find((s) => s.name === 'api-errors-while-polling')?.realDelay).toMatch(/Retry-After/);
  });

  it('lists the catalogue, runs scenarios by name with progress, exit 0 when all held, 1 otherwise', async () => {
    const list = await cli(['scenario', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^happy-path +One async job/m);
    const { apiPort, consumer } = await careful();
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
      '--effects-url',
      consumer.effectsUrl,
    ]);
    expect(ok.stdout).toMatch(/scenario happy-path: /);
    // With the probe, what the consumer recorded is asserted, as the description says.
    expect(ok.stdout).toMatch(/✓ the consumer recorded the job completed, having acted >= 1 time\(s\)/);
    expect(ok.stdout).toMatch(/✓ the consumer recorded the job failed/);
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
