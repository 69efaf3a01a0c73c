import type { ExtractOperation } from '../../src/operations/extract/index.js';
import { normalizeExtractRequest } from '../../src/operations/extract/request.js';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { runCli, startCli } from '../installed/cli-process.js';
import { startReceiver, type Receiver } from '../receivers.js';
import { report } from './report.js';

const attack = (probe: string, result: string) => report('attack', { probe, result });

/** Issue 17: `--state` never loses data silently. Real files, real sockets. */
const KEY = 'sk_state';
const dir = () => mkdtempSync(join(tmpdir(), 'pm-statefile-'));
const configFor = (state: string, more: Record<string, unknown> = {}) =>
  resolveConfig({
    env: {},
    options: {
      seed: 9,
      apiKey: KEY,
      state,
      queueMs: 100,
      processingMs: 1000,
      retrySchedule: [],
      port: 0,
      host: '127.0.0.1',
      ...more,
    },
  });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('what --state refuses at start: one line, exit 2, the file untouched', () => {
  it('a file that is not a journal, a folder, a missing folder', async () => {
    const d = dir();
    const notes = join(d, 'notes.md');
    writeFileSync(notes, '# My notes\n\nnot a journal\n');
    const refused = await runCli(['start', '--port', '0', '--state', notes]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('is not a pulse-mock state file');
    expect(readFileSync(notes, 'utf8')).toBe('# My notes\n\nnot a journal\n');

    const folder = await runCli(['start', '--port', '0', '--state', d]);
    expect([folder.code, folder.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(folder.stderr).toContain('is a folder');

    const missing = await runCli(['start', '--port', '0', '--state', join(d, 'no', 'such', 'state')]);
    expect([missing.code, missing.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(missing.stderr).toContain('does not exist');
    expect(missing.stderr).not.toContain('    at ');
    attack('--state notes.md, a text file (silently overwritten)', `exit 2, file unchanged: ${refused.stderr.trim()}`);
    attack(
      '--state on a folder, or in a missing folder (crashed with a stack trace)',
      `exit 2, one line each: ${folder.stderr.trim()} / ${missing.stderr.trim()}`,
    );
  });

  it('an empty file or an absent one is taken, and created readable by its owner only (it holds secrets)', () => {
    const d = dir();
    const empty = join(d, 'empty');
    writeFileSync(empty, '');
    createRuntime(configFor(empty)).close();
    const fresh = join(d, 'fresh');
    createRuntime(configFor(fresh)).close();
    for (const f of [empty, fresh]) expect(statSync(f).mode & 0o777).toBe(0o600);
    attack('the state file holds secrets (created 0644)', 'created, compacted and copied 0600');
    expect(() => createRuntime(configFor(join(d, 'none', 'x')))).toThrow(ConfigError);
  });
});

describe('damaged lines', () => {
  it('are skipped and counted in the banner and the JSON ready line, and the file as it was is kept beside it', async () => {
    const d = dir();
    const state = join(d, 'pulse-mock.state');
    const first = createRuntime(configFor(state));
    const extract = first.operations.get('extract') as ExtractOperation;
    const job = await first.core.submit(
      'extract',
      extract.submission(normalizeExtractRequest({ file_url: 'https://e.com/a.pdf' })),
    );
    first.close();
    const lines = readFileSync(state, 'utf8').split('\n');
    // A torn write in the middle and a line of the wrong shape, between good lines.
    lines.splice(1, 0, '{"k":"job","job":{"id":"half', '{"k":"job","job":null}', '{"k":"delivery","d":{"key":1}}');
    const original = lines.join('\n');
    writeFileSync(state, original);

    const cli = await startCli(['--state', state]);
    cleanups.push(async () => {
      cli.child.kill('SIGKILL');
      await cli.exited;
    });
    expect(cli.ready.restored).toMatchObject({ jobs: 1, skippedLines: 3 });
    const copy = cli.ready.restored.damagedCopy as string;
    expect(readFileSync(copy, 'utf8')).toBe(original);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(readFileSync(state, 'utf8')).toContain(job.body.job_id);

    // The banner says it too.
    const second = join(d, 'second.state');
    writeFileSync(second, original);
    const banner = await bannerOf(['start', '--port', '0', '--state', second]);
    attack(
      'a torn line, a `job: null` line and a wrongly shaped delivery in the middle of the journal (skipped silently, or a crash)',
      `skipped and counted (JSON ready line: skippedLines ${cli.ready.restored.skippedLines}; the banner warns); the file as it was kept as ${copy.split('/').pop()}`,
    );
    expect(banner).toMatch(
      /warning: +3 lines of the state file could not be read and were skipped; the file as it was is kept at .*second\.state\.damaged-/,
    );
  });
});

/** The human banner of `pulse-mock start`, up to its last line; the process is then stopped. */
async function bannerOf(args: string[]): Promise<string> {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../installed/cli-process.js');
  const child = spawn(process.execPath, [BIN, ...args]);
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 15 s: ${out}`)), 15_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Press Ctrl+C')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
  return out;
}

/** The state file's path turned into a folder: every write to it fails (EISDIR), even as root. */
function breakFile(path: string): () => void {
  rmSync(path, { force: true });
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), 'x');
  return () => rmSync(path, { recursive: true, force: true });
}

describe('a journal that cannot be written', () => {
  let receiver: Receiver;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.mock.close();
    server = undefined;
    await receiver?.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server?.mock.url}${path}`, {
      method,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('fails the request whose change it cannot write, in Pulse shape, with nothing applied; the next one after the disk is back writes everything', async () => {
    const state = join(dir(), 'pulse-mock.state');
    const clock = new ManualClock();
    const problems: string[] = [];
    server = await startServer(configFor(state), { clock, onJournalProblem: (l) => problems.push(l) });
    const events: string[] = [];
    server.runtime.core.onEvent((e) => events.push(e.type));
    const kept = (await call('POST', '/extract', { file_url: 'https://e.com/kept.pdf', async: true })).body
      .job_id as string;
    const repair = breakFile(state);

    const refused = await call('POST', '/extract', { file_url: 'https://e.com/lost.pdf', async: true });
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'STATE_WRITE_FAILED' } } });
    expect(server.runtime.core.jobs.size).toBe(1);
    expect(events).toEqual(['job.created']);
    const endpoint = await call('POST', '/_mock/endpoints', { url: 'http://127.0.0.1:9/hook' });
    expect(endpoint.status).toBe(503);
    expect((await call('GET', '/_mock/endpoints')).body.data).toHaveLength(0);
    const cancel = await call('DELETE', `/job/${kept}`);
    expect(cancel.status).toBe(503);
    expect(server.runtime.core.jobs.get(kept)?.status).toBe('pending');
    expect(problems.some((p) => p.includes('could not be written'))).toBe(true);
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'degraded', state: { writing: false } });
    attack(
      'a journal that cannot be written, during requests (jobs acknowledged, never journalled; endpoint POST 500 while live)',
      `submit, cancel and endpoint POST answer 503 ${refused.body.error?.code} with nothing applied; the next request after the disk is back writes a snapshot of everything`,
    );

    repair();
    const accepted = (await call('POST', '/extract', { file_url: 'https://e.com/later.pdf', async: true })).body
      .job_id as string;
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'ok', state: { writing: true } });
    await server.mock.close();
    server = undefined;
    const after = createRuntime(configFor(state), { clock });
    expect(
      after.core.jobs
        .list()
        .map((j) => j.id)
        .sort(),
    ).toEqual([kept, accepted].sort());
    after.close();
  });

  it('with no request behind a change (a timer, a delivery), goes on in memory, says so once and in /health, delivers, and writes a snapshot once it can', async () => {
    receiver = await startReceiver();
    const state = join(dir(), 'pulse-mock.state');
    const clock = new ManualClock();
    const problems: string[] = [];
    server = await startServer(configFor(state, { webhookUrl: [receiver.url] }), {
      clock,
      onJournalProblem: (l) => problems.push(l),
    });
    const id = (await call('POST', '/extract', { file_url: 'https://e.com/a.pdf', async: true })).body.job_id as string;
    await receiver.waitFor(1);
    const repair = breakFile(state);
    await clock.advance(1100);
    // The job ran and its webhooks went out although nothing could be written.
    expect((await call('GET', `/job/${id}`)).body.status).toBe('completed');
    await receiver.waitFor(3);
    await vi.waitFor(() => expect(server?.mock.messages({ status: 'succeeded' })).toHaveLength(3));
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'degraded', state: { writing: false } });
    expect(problems.filter((p) => p.includes('cannot write'))).toHaveLength(1);
    attack(
      'a journal that cannot be written, with no request behind (a timer, a delivery: deliveries stuck pending, nothing logged)',
      'the job completes and its 3 webhooks are delivered; logged once; GET /health says degraded; a snapshot is retried until the file takes it, then a restart finds everything',
    );

    repair();
    await vi.waitFor(async () => expect((await call('GET', '/health')).body.status).toBe('ok'), {
      timeout: 15_000,
      interval: 100,
    });
    await server.mock.close();
    server = undefined;
    const after = createRuntime(configFor(state), { clock });
    expect(after.core.jobs.get(id)?.status).toBe('completed');
    expect(after.dispatcher.log.list().map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    after.close();
    expect(readdirSync(join(state, '..')).filter((f) => f.includes('damaged'))).toEqual([]);
    expect(existsSync(state)).toBe(true);
  });
});
