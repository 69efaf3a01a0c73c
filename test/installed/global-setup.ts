/**
 * The installed tier's set-up, once per test run: build, `npm pack`, and install the tarball the
 * way a user does into two scratch projects, then hand their paths to the tests (`inject`).
 *
 * - `user`: `npm install <tarball> msw vitest` (the peers a user adds), an ESM project.
 * - `bare`: `npm install <tarball>` alone: no msw, no vitest (a Jest or node:test user).
 *
 * (scripts/install-packed.ts: nothing is linked from this repository's node_modules.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { installInto, npm, pack, REPO_ROOT } from '../../scripts/install-packed.js';

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

const version = (name: string) =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

export default async function setup(project: TestProject): Promise<() => void> {
  await npm(['run', 'build', '--silent'], REPO_ROOT);
  const dest = mkdtempSync(join(tmpdir(), 'pm-pack-'));
  const packed = await pack(dest);
  const [user, bare] = await Promise.all([
    installInto('pm-user-', packed.tarball, [`msw@${version('msw')}`, `vitest@${version('vitest')}`]),
    installInto('pm-bare-', packed.tarball),
  ]);
  project.provide('installed', {
    root: REPO_ROOT,
    ...packed,
    user: user.dir,
    bare: bare.dir,
    bin: user.bin,
    installLog: { user: user.log, bare: bare.log },
  });
  return () => {
    for (const dir of [dest, user.dir, bare.dir]) rmSync(dir, { recursive: true, force: true });
  };
}
