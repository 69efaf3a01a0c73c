import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createCarefulConsumer } from '../../examples/consumers/careful-consumer.js';
import { serveZoo, zooConsumer, type Flaw } from '../consumers/zoo.js';
import { pythonPath } from '../../scripts/test-deps.js';
import { freePort } from '../receivers.js';
import { xmllint } from '../junit.js';
import { runCli } from './cli-process.js';

/**
 * The check against a zoo of consumers, one planted bug each (test/consumers/zoo.ts), through
 * what users install: the packed CLI over HTTP with --effects-url, and the installed
 * `pulse-mock/testing` entry's runCheck in-process. Each bug must fail with the severity its cost
 * deserves; the careful consumer passes everything.
 */
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const pkg = inject('installed');
const open: { close(): Promise<void> }[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

type Check = { id: string; passed: boolean | null; graded: boolean; severity: string; detail: string };
/** Each flaw's failed checks, as `id: severity` (the table, and what each bug also breaks). */
const EXPECTED: Record<Exclude<Flaw, 'slow'>, string[]> = {
  careful: [],
  'acts-on-every-delivery': ['duplicate-acts-once: critical', 'redelivery-acts-once: critical'],
  'state-goes-back': ['out-of-order-final-state: critical'],
  'trusts-payload-status': ['payload-status-not-trusted: critical', 'fetches-job-after-completion: warning'],
  'no-verification': [
    'wrong-secret-rejected: critical',
    'tampered-body-rejected: critical',
    'missing-headers-rejected: critical',
    'stale-timestamp-rejected: critical',
    'future-timestamp-rejected: critical',
    'unknown-version-rejected: critical',
    'partial-signature-rejected: critical',
    'non-numeric-timestamp-rejected: critical',
    'reserialized-body-rejected: critical',
    'timestamp-past-tolerance-rejected: warning',
  ],
  'no-timestamp-tolerance': [
    'stale-timestamp-rejected: critical',
    'future-timestamp-rejected: critical',
    'timestamp-past-tolerance-rejected: warning',
  ],
  'first-comma-only': [
    'unknown-version-rejected: warning',
    'multi-signature-accepted: warning',
    'v2-beside-v1-accepted: warning',
  ],
  'ignores-version-label': ['unknown-version-rejected: warning'],
};
const failed = (checks: Check[]) => checks.filter((c) => c.passed === false).map((c) => `${c.id}: ${c.severity}`);

/** The installed package's `pulse-mock/testing` (its ESM build, as a user's import resolves it). */
async function installedTesting(): Promise<typeof import('../../src/testing/index.js')> {
  return import(pathToFileURL(join(pkg.user, 'node_modules', 'pulse-mock', 'dist', 'testing.js')).href);
}

describe('pulse-mock check against the consumer zoo, over HTTP (the installed CLI, --effects-url)', () => {
  it.each(Object.keys(EXPECTED) as Exclude<Flaw, 'slow'>[])('%s', async (flaw) => {
    const apiPort = await freePort();
    const consumer = zooConsumer(flaw, { secret: SECRET, pulseBaseUrl: () => `http://127.0.0.1:${apiPort}` });
    const served = await serveZoo(consumer);
    open.push(served);
    const r = await runCli(
      [
        'check',
        '--target',
        served.url,
        '--secret',
        SECRET,
        '--api-port',
        String(apiPort),
        '--effects-url',
        served.effectsUrl,
        '--reporter',
        'json',
      ],
      {},
      60_000,
    );
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: Check[] };
    expect(failed(report.checks)).toEqual(EXPECTED[flaw]);
    expect(report.checks.every((c) => c.graded)).toBe(true);
    expect([report.passed, r.code]).toEqual(flaw === 'careful' ? [true, 0] : [false, 1]);
  });

  it('slow: answering after 5 s is a warning, and nothing critical', async () => {
    const apiPort = await freePort();
    const served = await serveZoo(
      zooConsumer('slow', { secret: SECRET, pulseBaseUrl: () => `http://127.0.0.1:${apiPort}` }),
    );
    open.push(served);
    const r = await runCli(
      ['check', '--target', served.url, '--secret', SECRET, '--api-port', String(apiPort), '--reporter', 'json'],
      {},
      60_000,
    );
    const report = JSON.parse(r.stdout) as { checks: Check[] };
    expect(failed(report.checks)).toEqual(['fast-response: warning']);
    expect(report.checks.find((c) => c.id === 'fast-response')?.detail).toMatch(/^took \d{4} ms to answer/);
  }, 60_000);

  it("a handler that follows the Production Checklist but verifies with the seed's verify_webhook: warnings, no critical", async () => {
    const apiPort = await freePort();
    // The seed's verify_webhook base64-decodes the secret it is given: give it the key after whsec_.
    const child = spawn(pythonPath(), [
      new URL('../consumers/seed_checklist_consumer.py', import.meta.url).pathname,
      SECRET.slice('whsec_'.length),
      `http://127.0.0.1:${apiPort}`,
    ]);
    children.push(child);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
      child.on('exit', (code) => reject(new Error(`the Flask consumer exited ${code}: ${err}`)));
    });
    const r = await runCli(
      [
        'check',
        '--target',
        `http://127.0.0.1:${port}/webhook`,
        '--secret',
        SECRET,
        '--api-port',
        String(apiPort),
        '--effects-url',
        `http://127.0.0.1:${port}/_test/effects/{job_id}`,
        '--reporter',
        'json',
      ],
      {},
      60_000,
    );
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: Check[] };
    expect(failed(report.checks)).toEqual([
      // It ignores the label ("v2,<correct HMAC>" and a bare HMAC pass) ...
      'unknown-version-rejected: warning',
      // ... and splits the header on its first comma: a rotation's list, or v2 beside v1, fails.
      'multi-signature-accepted: warning',
      // int('not-a-number') raises: Flask answers 500 where a 4xx belongs.
      'non-numeric-timestamp-rejected: warning',
      'v2-beside-v1-accepted: warning',
    ]);
    expect(report.checks.filter((c) => c.id.endsWith('-acts-once') || c.id.endsWith('-recorded'))).toSatisfy(
      (cs: Check[]) => cs.every((c) => c.passed === true),
    );
    // Warnings fail the run by default; --fail-on critical passes it.
    expect(r.code).toBe(1);
  }, 60_000);
});

describe("pulse-mock/testing's runCheck in-process (the installed entry)", () => {
  it('grades every zoo consumer as over HTTP, handed over as an object with a fetch method (a Hono app)', async () => {
    const { runCheck } = await installedTesting();
    for (const flaw of Object.keys(EXPECTED) as Exclude<Flaw, 'slow'>[]) {
      let api = '';
      const consumer = zooConsumer(flaw, { secret: SECRET, pulseBaseUrl: () => api });
      const report = await runCheck({
        target: consumer,
        secret: SECRET,
        onApi: (url) => void (api = url),
        effects: consumer.effects,
      });
      expect(failed(report.checks), flaw).toEqual(EXPECTED[flaw]);
      expect(report.target).toBe('a fetch handler (in-process)');
    }
  }, 120_000);

  it('takes a bare fetch handler (a Next.js route handler) and an Express app (a Node listener)', async () => {
    const { runCheck } = await installedTesting();
    const { default: express } = await import('express');
    let api = '';
    const careful = createCarefulConsumer({ secret: SECRET, pulseBaseUrl: () => api });
    const app = express();
    app.use(careful.listener);
    const onApi = (url: string) => void (api = url);
    const viaExpress = await runCheck({ target: app, secret: SECRET, onApi, effects: careful.effects });
    expect(viaExpress.target).toBe('a Node request listener (in-process)');
    expect(failed(viaExpress.checks)).toEqual([]);
    expect(viaExpress.passed).toBe(true);

    const handler = zooConsumer('careful', { secret: SECRET, pulseBaseUrl: () => api });
    const POST = (request: Request) => handler.fetch(request);
    const viaHandler = await runCheck({ target: POST, secret: SECRET, onApi, effects: handler.effects });
    expect(failed(viaHandler.checks)).toEqual([]);
  }, 60_000);

  it('without an effects probe, the checks that catch the double actor and the regressor say "not graded"', async () => {
    const { runCheck, formatCheckReport } = await installedTesting();
    for (const flaw of ['acts-on-every-delivery', 'state-goes-back'] as const) {
      let api = '';
      const report = await runCheck({
        target: zooConsumer(flaw, { secret: SECRET, pulseBaseUrl: () => api }),
        secret: SECRET,
        onApi: (url) => void (api = url),
      });
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      for (const id of ['duplicate-acts-once', 'redelivery-acts-once', 'out-of-order-final-state'])
        expect(byId[id], `${flaw} ${id}`).toMatchObject({
          passed: null,
          graded: false,
          detail: expect.stringMatching(/^not graded \(no effects probe\)/),
        });
      // The status-code checks still pass: a 2xx is all they can see.
      expect(byId['duplicate-tolerated']?.passed).toBe(true);
      expect(report.passed).toBe(true);
      const pretty = formatCheckReport(report, 'pretty');
      expect(pretty).toMatch(/^ {2}- duplicate-acts-once +not graded/m);
      expect(pretty).toMatch(/; 7 not graded \(no effects probe\)\n$/);
      const xml = formatCheckReport(report, 'junit');
      expect(xml).toMatch(/name="duplicate-acts-once"[^>]*>\s*<skipped message="not graded/);
      expect(xmllint(xml)).toMatchObject({ ok: true });
    }
  }, 60_000);
});
