import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModules } from 'node:module';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import ts from 'typescript';
import { startReceiver } from '../receivers.js';
import { startCli } from './cli-process.js';

/**
 * The package as users get it: the tarball the global set-up packed, installed from it into
 * scratch projects (with msw and vitest, and alone), its bin and its entries run there.
 */
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const pkg = inject('installed');
const node = (args: string[], cwd: string) =>
  execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
const ENTRY_NAMES = ['pulse-mock', 'pulse-mock/msw', 'pulse-mock/testing', 'pulse-mock/vitest'];

describe('the published package', () => {
  it('ships compiled JS, types, the bin and fixtures; no sources, tests or third-party source maps', () => {
    for (const f of [
      'bin/pulse-mock.js',
      'scenarios/happy-path.ts',
      'dist/cli.js',
      'pulse-mock.config.schema.json',
      'fixtures/documents.json',
      'README.md',
      'docs/api.md',
      'docs/portal-desktop.png',
      'package.json',
    ])
      expect(pkg.files).toContain(f);
    for (const e of ['index', 'msw', 'testing', 'vitest'])
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(pkg.files).toContain(`dist/${e}.${ext}`);
    expect(pkg.files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    const dist = join(pkg.user, 'node_modules', 'pulse-mock');
    for (const map of pkg.files.filter((f) => f.endsWith('.map'))) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(dist, map), 'utf8')) as {
        sources: string[];
        sourcesContent: (string | null)[];
      };
      expect(
        sources.filter((x) => x.includes('node_modules')),
        map,
      ).toEqual([]);
      expect(sourcesContent.every((c) => typeof c === 'string')).toBe(true);
    }
  });

  it('installs no dependency it also bundles, and installs on this Node without an engine warning', () => {
    const manifest = JSON.parse(readFileSync(join(pkg.user, 'node_modules', 'pulse-mock', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@faker-js/faker', 'tsx', 'undici']);
    // The bundles import only these packages (and Node's built-ins); everything else is inside them.
    // (Code that ajv generates as text names its own runtime: not an import, and not matched.)
    const imported = new Set<string>();
    for (const f of pkg.files.filter((x) => /^dist\/.*\.c?js$/.test(x))) {
      const code = readFileSync(join(pkg.user, 'node_modules', 'pulse-mock', f), 'utf8');
      for (const m of code.matchAll(/(?<![`'"\w])(?:from |import\(|require\()"((?:@[\w.-]+\/)?[\w.-]+)[^"]*"/g))
        if (!m[1]!.startsWith('node:') && !m[1]!.startsWith('.')) imported.add(m[1]!);
    }
    const builtins = new Set(builtinModules);
    expect([...imported].filter((m) => !builtins.has(m)).sort()).toEqual(
      ['@faker-js/faker', 'msw', 'tsx', 'undici'].sort(),
    );
    for (const log of [pkg.installLog.user, pkg.installLog.bare]) expect(log).not.toMatch(/EBADENGINE/);
  });

  it('runs `pulse-mock start` from the install: answers an uploaded PDF and delivers signed webhooks', async () => {
    const consumer = await startReceiver();
    const cli = await startCli(
      ['--processing-ms', '20', '--queue-ms', '5', '--webhook-url', consumer.url, '--webhook-secret', SECRET],
      { cwd: pkg.user },
    );
    try {
      // What curl -F file=@one.pdf sends: this answered "Busboy is not a function" from the bundle.
      const form = new FormData();
      form.set(
        'file',
        new Blob(['%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF'], { type: 'application/pdf' }),
        'one.pdf',
      );
      const res = await fetch(`${cli.ready.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'k' },
        body: form,
      });
      const body = (await res.json()) as { page_count: number; markdown: string };
      expect(res.status).toBe(200);
      expect(body.page_count).toBe(1);

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

  it('loads every entry from ESM and from CommonJS', () => {
    const esm = node(
      [
        '--input-type=module',
        '-e',
        `for (const e of ${JSON.stringify(ENTRY_NAMES)}) { const m = await import(e); console.log(e, Object.keys(m).length); }`,
      ],
      pkg.user,
    );
    const cjs = node(
      ['-e', `for (const e of ${JSON.stringify(ENTRY_NAMES)}) console.log(e, Object.keys(require(e)).length)`],
      pkg.user,
    );
    for (const out of [esm, cjs]) for (const e of ENTRY_NAMES) expect(out).toMatch(new RegExp(`^${e} [1-9]\\d*$`, 'm'));
    // CommonJS loads the large modules from the ESM build (import()), and each entry's bundle once.
    const cjsForm = node(
      [
        '-e',
        `const { createPulseMock } = require('pulse-mock');
(async () => {
  const m = await createPulseMock({ port: 0, apiKey: 'k' });
  const res = await fetch(m.url + '/openapi.json');
  console.log(res.status, (await res.json()).openapi);
  await m.close();
})();`,
      ],
      pkg.user,
    );
    expect(cjsForm.trim()).toBe('200 3.1.0');
  });

  it('says what to install when msw is missing (CommonJS), and Node names it for ESM', () => {
    const run = (args: string[]) => {
      try {
        node(args, pkg.bare);
        return '';
      } catch (e) {
        return String((e as { stderr: string }).stderr);
      }
    };
    expect(run(['-e', "require('pulse-mock/msw')"])).toContain(
      '[pulse-mock] pulse-mock/msw needs msw 2 (an optional peer dependency): npm i -D msw@2',
    );
    expect(run(['--input-type=module', '-e', "await import('pulse-mock/msw')"])).toMatch(/Cannot find package 'msw'/);
    // The rest of the package needs neither msw nor vitest.
    expect(node(['-e', "console.log(typeof require('pulse-mock/testing').signWebhook)"], pkg.bare).trim()).toBe(
      'function',
    );
  });

  it('type-checks a project without vitest that uses pulse-mock/testing (skipLibCheck off)', () => {
    const file = join(pkg.bare, 'uses-testing.ts');
    writeFileSync(
      file,
      `import { signWebhook, startPulseMock } from 'pulse-mock/testing';
import type { PulseMock } from 'pulse-mock';
const signed: { headers: Record<string, string>; body: string } = signWebhook({ type: 'job.completed', data: { job_id: 'j1' } }, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
export const started: Promise<PulseMock> = startPulseMock({ processingMs: 10 });
export const header: string | undefined = signed.headers['webhook-signature'];
`,
    );
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      typeRoots: [join(pkg.root, 'node_modules', '@types')],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  it('runs the installed bin: --version and the scenario catalogue (loaded through tsx from the install)', () => {
    expect(node([pkg.bin, '--version'], pkg.user).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(node([pkg.bin, 'scenario', 'list'], pkg.user)).toMatch(/^happy-path +/m);
  });
});

const ENTRIES = ['index', 'msw', 'testing', 'vitest'].map((e) =>
  join(pkg.user, 'node_modules', 'pulse-mock', 'dist', `${e}.d.ts`),
);
let checker: ts.TypeChecker;
let program: ts.Program;

/** The installed package's types, as a user's editor sees them. */
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
