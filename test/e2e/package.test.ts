import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import ts from 'typescript';
import { startReceiver } from '../receivers.js';
import { startCli } from './cli-process.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const root = fileURLToPath(new URL('../..', import.meta.url));
let tarball: string;
let files: string[];

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  const dest = mkdtempSync(join(tmpdir(), 'pm-pack-'));
  const out = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  tarball = join(dest, out[0].filename);
  files = out[0].files.map((f: { path: string }) => f.path);
}, 120_000);

describe('the published package', () => {
  it('ships compiled JS, types, the bin and fixtures, and no sources or tests', () => {
    for (const f of [
      'bin/pulse-mock.js',
      'scenarios/happy-path.ts',
      'dist/cli.js',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'fixtures/documents.json',
      'pulse-mock.config.schema.json',
      'README.md',
      'package.json',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('runs `pulse-mock start` from the unpacked tarball (compiled JS, no tsx, no src): answers and delivers signed webhooks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-installed-'));
    execFileSync('tar', ['xzf', tarball, '-C', dir]);
    // Dependencies as an install would provide them.
    symlinkSync(join(root, 'node_modules'), join(dir, 'package', 'node_modules'));
    const consumer = await startReceiver();
    // The CLI is bundled: this covers what the bundle loads late (the delivery client, the result generator).
    const cli = await startCli(
      ['--processing-ms', '20', '--queue-ms', '5', '--webhook-url', consumer.url, '--webhook-secret', SECRET],
      {
        bin: join(dir, 'package', 'bin', 'pulse-mock.js'),
        cwd: dir,
      },
    );
    try {
      const res = await fetch(`${cli.ready.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/dummy_statement.pdf' }),
      });
      const body = (await res.json()) as { page_count: number; markdown: string };
      expect(res.status).toBe(200);
      // The fixture catalogue is bundled: this document is known to have 2 pages.
      expect(body.page_count).toBe(2);

      const submitted = await fetch(`${cli.ready.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/invoice.pdf', async: true }),
      });
      const { job_id } = (await submitted.json()) as { job_id: string };
      const got = await consumer.waitFor(3, 10_000);
      const events = got.map(
        (r) =>
          new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            data: { job_id: string };
          },
      );
      expect(events.map((e) => e.type)).toEqual(['job.created', 'job.processing', 'job.completed']);
      expect(events.every((e) => e.data.job_id === job_id)).toBe(true);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await consumer.close();
    }
  });

  it('installs from the tarball into a new project: every entry imports from ESM and CJS, and an msw test runs there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-user-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    // msw at the version this repo tests with; everything comes from the npm cache when it can.
    const msw = JSON.parse(readFileSync(join(root, 'node_modules/msw/package.json'), 'utf8')).version;
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `msw@${msw}`], {
      cwd: dir,
      stdio: 'pipe',
      timeout: 240_000,
    });
    const entries = ['pulse-mock', 'pulse-mock/msw', 'pulse-mock/testing'];
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const e of ${JSON.stringify(entries)}) { const m = await import(e); console.log(e, Object.keys(m).length); }`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    const cjs = execFileSync(
      process.execPath,
      ['-e', `for (const e of ${JSON.stringify(entries)}) console.log(e, Object.keys(require(e)).length)`],
      { cwd: dir, encoding: 'utf8' },
    );
    for (const out of [esm, cjs]) for (const e of entries) expect(out).toMatch(new RegExp(`^${e} [1-9]\\d*$`, 'm'));
    for (const f of ['index', 'msw', 'testing'])
      for (const ext of ['d.ts', 'd.cts']) expect(files).toContain(`dist/${f}.${ext}`);

    writeFileSync(
      join(dir, 'msw-test.mjs'),
      `import { setupServer } from 'msw/node';
import { createPulseMsw } from 'pulse-mock/msw';
import { signWebhook } from 'pulse-mock/testing';
const pulse = createPulseMsw({ apiKey: 'k', processingMs: 10, queueMs: 5 });
const server = setupServer(...pulse.handlers);
server.listen({ onUnhandledRequest: 'error' });
const res = await fetch('https://api.runpulse.com/extract', { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ file_url: 'https://e.com/invoice.pdf', async: true }) });
const { job_id } = await res.json();
await pulse.waitForJob(job_id);
const job = await (await fetch('https://api.runpulse.com/job/' + job_id, { headers: { 'x-api-key': 'k' } })).json();
const signed = signWebhook({ type: 'job.completed', data: { job_id } }, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
console.log(JSON.stringify({ status: job.status, invoice: /INVOICE/.test(job.result.markdown), signature: signed.headers['webhook-signature'].startsWith('v1,') }));
server.close();
`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, ['msw-test.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 }),
    );
    expect(out).toEqual({ status: 'completed', invoice: true, signature: true });
    expect(
      execFileSync(join(dir, 'node_modules/.bin/pulse-mock'), ['--version'], { cwd: dir, encoding: 'utf8' }).trim(),
    ).toMatch(/^\d+\.\d+\.\d+$/);
    // The scenario catalogue ships too, and loads through tsx from the installed package.
    expect(
      execFileSync(join(dir, 'node_modules/.bin/pulse-mock'), ['scenario', 'list'], { cwd: dir, encoding: 'utf8' }),
    ).toMatch(/^happy-path +/m);
  }, 300_000);
});

const ENTRIES = ['index', 'msw', 'testing'].map((e) => join(root, 'dist', `${e}.d.ts`));
let checker: ts.TypeChecker;
let program: ts.Program;

/** The built package's types (built by the beforeAll above), as a user's editor sees them. */
function loadTypes(): void {
  program = ts.createProgram(ENTRIES, {
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  checker = program.getTypeChecker();
}

function exportsOf(file: string): ts.Symbol[] {
  const sf = program.getSourceFile(file)!;
  return checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!);
}

function resolved(s: ts.Symbol): ts.Symbol {
  return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

describe('the public surface (dist/*.d.ts)', () => {
  beforeAll(loadTypes);
  it('exposes no internals: no PulseCore, Runtime, FastifyInstance or fastify app', () => {
    for (const file of ENTRIES) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\bPulseCore\b|\bRuntime\b|FastifyInstance|from 'fastify'/);
      const names = exportsOf(file).map((s) => s.name);
      expect(names, file).not.toContain('startWithConfig');
      expect(names, file).not.toContain('resolveConfig');
    }
  });

  it('documents every exported function and class with an @example', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of ENTRIES) {
      for (const exported of exportsOf(file)) {
        const s = resolved(exported);
        if (!(s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class))) continue;
        checked++;
        if (!s.getJsDocTags(checker).some((t) => t.name === 'example'))
          missing.push(`${file.split('/').pop()}: ${exported.name}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    expect(missing).toEqual([]);
  });

  it('gives the same controls from createPulseMock, startPulseMock and createPulseMsw', () => {
    const controls = (file: string, name: string) => {
      const s = resolved(exportsOf(file).find((x) => x.name === name)!);
      return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(s)).map((p) => p.name);
    };
    const server = controls(ENTRIES[0]!, 'PulseMock');
    const msw = controls(ENTRIES[1]!, 'PulseMsw');
    for (const name of [
      'apiKey',
      'webhookSecret',
      'seed',
      'jobs',
      'messages',
      'requests',
      'faults',
      'endpoints',
      'onEvent',
      'waitForJob',
      'waitForDelivery',
    ]) {
      expect(server).toContain(name);
      expect(msw).toContain(name);
    }
    expect(server).toEqual(expect.arrayContaining(['url', 'close']));
    expect(msw).toEqual(expect.arrayContaining(['handlers', 'reset', 'close']));
  });
});
