import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startCli } from './cli-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let tarball: string;
let files: string[];

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  const dest = mkdtempSync(join(tmpdir(), 'pm-pack-'));
  const out = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: root, encoding: 'utf8' }));
  tarball = join(dest, out[0].filename);
  files = out[0].files.map((f: { path: string }) => f.path);
}, 120_000);

describe('the published package', () => {
  it('ships compiled JS, types, the bin and fixtures, and no sources or tests', () => {
    for (const f of ['bin/pulse-mock.js', 'dist/cli.js', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'fixtures/documents.json', 'README.md', 'package.json'])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('runs `pulse-mock start` from the unpacked tarball (compiled JS, no tsx, no src)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-installed-'));
    execFileSync('tar', ['xzf', tarball, '-C', dir]);
    // Dependencies as an install would provide them.
    symlinkSync(join(root, 'node_modules'), join(dir, 'package', 'node_modules'));
    const cli = await startCli(['--processing-ms', '20', '--queue-ms', '5'], { bin: join(dir, 'package', 'bin', 'pulse-mock.js'), cwd: dir });
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
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  it('is importable from ESM and CommonJS', () => {
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import('pulse-mock').then(m => console.log(typeof m.createPulseMock))"], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(esm.trim()).toBe('function');
    const cjs = execFileSync(process.execPath, ['-e', "console.log(typeof require('pulse-mock').createPulseMock)"], { cwd: root, encoding: 'utf8' });
    expect(cjs.trim()).toBe('function');
  });
});
