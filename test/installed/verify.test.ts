import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { xmllint } from '../junit.js';
import { runCli, spawnReady, startCli, type RunningCli } from './cli-process.js';

/**
 * `pulse-mock verify` through the installed CLI: against a second mock (another seed) it finds no
 * drift; against an upstream of the test's own that renames one field and changes one status, it
 * reports exactly those two.
 */
const KEY = 'sk_upstream';
const running: RunningCli[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL');
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A proxy to `target` that renames `extraction_id` in a sync extract's answer and answers an unknown job 410, not 404. */
async function driftingUpstream(target: string): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void (async () => {
        const answer = await fetch(`${target}${req.url}`, {
          method: req.method ?? 'GET',
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              ([k, v]) => ['x-api-key', 'content-type'].includes(k) && typeof v === 'string',
            ),
          ) as Record<string, string>,
          ...(body.length ? { body } : {}),
        });
        let status = answer.status;
        let json = (await answer.json()) as Record<string, unknown>;
        const sent = body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
        if (req.url === '/extract' && !sent.async && 'extraction_id' in json) {
          const { extraction_id, ...rest } = json;
          json = { ...rest, extractionId: extraction_id };
        }
        if (req.url?.startsWith('/job/') && status === 404) status = 410;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const verify = (args: string[]) => runCli(['verify', '--upstream-api-key', KEY, ...args], {}, 60_000);

describe('pulse-mock verify', () => {
  it('finds no drift against a second mock with another seed (arrays compared by their items)', async () => {
    const upstream = await startCli(['--seed', '77', '--api-key', KEY, '--processing-ms', '50']);
    running.push(upstream);
    const r = await verify(['--upstream', upstream.ready.url, '--reporter', 'json']);
    const report = JSON.parse(r.stdout) as { passed: boolean; steps: { name: string; differences: unknown[] }[] };
    expect(report.steps.map((s) => s.name)).toEqual([
      'extract',
      'extract (async)',
      'split',
      'schema',
      'tables',
      'unknown job',
      'extract without a file',
    ]);
    expect(report.steps.flatMap((s) => s.differences)).toEqual([]);
    expect([report.passed, r.code]).toEqual([true, 0]);
  }, 60_000);

  it('reports exactly the two planted differences, field by field, and exits 1; JUnit validates', async () => {
    const mock = await startCli(['--seed', '5', '--api-key', KEY, '--processing-ms', '50']);
    running.push(mock);
    const upstream = await driftingUpstream(mock.ready.url as string);
    const r = await verify(['--upstream', upstream, '--reporter', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { steps: { name: string; differences: Record<string, string>[] }[] };
    expect(report.steps.flatMap((s) => s.differences.map((d) => ({ step: s.name, ...d })))).toEqual([
      { step: 'extract', path: '$.extractionId', kind: 'renamed', upstream: 'extractionId', mock: 'extraction_id' },
      { step: 'unknown job', path: 'status', kind: 'status', upstream: '410', mock: '404' },
    ]);
    const pretty = await verify(['--upstream', upstream]);
    expect(pretty.stdout).toMatch(/✗ unknown job {2}GET \/job\/[0-9a-f-]+\n {6}status: status: upstream 410, mock 404/);
    expect(pretty.stdout).toMatch(/2 differences: the mock and the upstream have drifted apart\n$/);
    const xml = (await verify(['--upstream', upstream, '--reporter', 'junit'])).stdout;
    expect(xml).toMatch(/<testsuite name="pulse-mock verify" tests="7" failures="2"/);
    expect(xmllint(xml)).toMatchObject({ ok: true });
  }, 60_000);

  it("sends the recordings' requests with --recordings, each side's ids chained from its own answers", async () => {
    const out = mkdtempSync(join(tmpdir(), 'pm-verify-recordings-'));
    const source = await startCli(['--seed', '1', '--api-key', KEY, '--processing-ms', '50']);
    running.push(source);
    const recorder = await spawnReady([
      'record',
      '--upstream',
      source.ready.url,
      '--out',
      out,
      '--port',
      '0',
      '--json',
    ]);
    running.push(recorder);
    const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
    const extract = (await (
      await fetch(`${recorder.ready.url}/extract`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ file_url: 'https://example.com/invoice.pdf' }),
      })
    ).json()) as { extraction_id: string };
    await fetch(`${recorder.ready.url}/tables`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ extraction_id: extract.extraction_id }),
    });
    recorder.child.kill('SIGINT');
    await recorder.exited;
    const other = await startCli(['--seed', '2', '--api-key', KEY, '--processing-ms', '50']);
    running.push(other);
    const r = await verify(['--upstream', other.ready.url, '--recordings', out, '--reporter', 'json']);
    const report = JSON.parse(r.stdout) as { passed: boolean; steps: { name: string; upstreamStatus: number }[] };
    expect(report.steps.map((s) => [s.name, s.upstreamStatus])).toEqual([
      ['0001 extract', 200],
      ['0002 tables', 200],
    ]);
    expect([report.passed, r.code]).toEqual([true, 0]);
  }, 60_000);

  it('refuses a missing --upstream with exit 2', async () => {
    const r = await runCli(['verify']);
    expect([r.code, r.stderr.trim()]).toEqual([2, '[pulse-mock] error: --upstream must be an http(s) URL']);
  });
});
