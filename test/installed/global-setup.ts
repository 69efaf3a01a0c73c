/**
 * The installed tier's set-up, once per test run: build, `npm pack`, and install the tarball the
 * way a user does into two scratch projects, then hand their paths to the tests (`inject`).
 *
 * - `user`: `npm install <tarball> msw vitest` (the peers a user adds), an ESM project.
 * - `bare`: `npm install <tarball>` alone: no msw, no vitest (a Jest or node:test user).
 *
 * Dependencies come from npm's cache when it has them (`--prefer-offline`); nothing is linked
 * from this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

export interface InstalledPackage {
  /** This repository. */
  root: string;
  tarball: string;
  /** Paths inside the tarball. */
  files: string[];
  /** The tarball's size and the unpacked size, as npm pack reports them. */
  size: number;
  unpackedSize: number;
  /** A project with pulse-mock, msw and vitest installed from the registry/cache. */
  user: string;
  /** A project with pulse-mock alone. */
  bare: string;
  /** The installed bin, as `npx pulse-mock` runs it. */
  bin: string;
  /** What `npm install` printed on stderr in each project (warnings). */
  installLog: { user: string; bare: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    installed: InstalledPackage;
  }
}

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (name: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, { cwd, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
}

async function scratchProject(prefix: string, tarball: string, extra: string[]): Promise<{ dir: string; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  const { stderr } = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...extra], dir);
  return { dir, log: stderr };
}

export default async function setup(project: TestProject): Promise<() => void> {
  await npm(['run', 'build', '--silent'], root);
  const dest = mkdtempSync(join(tmpdir(), 'pm-pack-'));
  const packed = JSON.parse(
    (await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], root)).stdout,
  ) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  const tarball = join(dest, packed[0]!.filename);
  const [user, bare] = await Promise.all([
    scratchProject('pm-user-', tarball, [`msw@${version('msw')}`, `vitest@${version('vitest')}`]),
    scratchProject('pm-bare-', tarball, []),
  ]);
  project.provide('installed', {
    root,
    tarball,
    files: packed[0]!.files.map((f) => f.path),
    size: packed[0]!.size,
    unpackedSize: packed[0]!.unpackedSize,
    user: user.dir,
    bare: bare.dir,
    bin: join(user.dir, 'node_modules', '.bin', 'pulse-mock'),
    installLog: { user: user.log, bare: bare.log },
  });
  return () => {
    for (const dir of [dest, user.dir, bare.dir]) rmSync(dir, { recursive: true, force: true });
  };
}
