/**
 * The package as users get it: `npm pack` this repository (already built), then
 * `npm install <tarball>` into a new, empty project, with the peers a user would add. Used by the
 * installed test tier, the README examples and the benchmark; nothing is linked from this
 * repository's node_modules (npm's cache serves what it has: `--prefer-offline`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, { cwd, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
}

export interface PackedPackage {
  tarball: string;
  files: string[];
  size: number;
  unpackedSize: number;
}

/** `npm pack` of the built repository into `dest` (run `npm run build` first). */
export async function pack(dest: string): Promise<PackedPackage> {
  const out = JSON.parse(
    (await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], REPO_ROOT)).stdout,
  ) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  const p = out[0]!;
  return {
    tarball: join(dest, p.filename),
    files: p.files.map((f) => f.path),
    size: p.size,
    unpackedSize: p.unpackedSize,
  };
}

/** A new ESM project (under `prefix`) with the tarball and `extra` packages installed; npm's warnings are `log`. */
export async function installInto(
  prefix: string,
  tarball: string,
  extra: string[] = [],
): Promise<{ dir: string; log: string; bin: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  const { stderr } = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...extra], dir);
  return { dir, log: stderr, bin: join(dir, 'node_modules', '.bin', 'pulse-mock') };
}
