/**
 * `npm run docs:examples`: runs the shell examples of README.md and docs/*.md against the
 * installed package (built, packed and installed into a scratch project, as the test does) and
 * rewrites every shown output that no longer matches with what the command printed now,
 * abbreviated (scripts/doc-examples.ts). `--check` only reports.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCarefulConsumer } from '../examples/consumers/careful-consumer.js';
import { freePort } from '../test/receivers.js';
import { abbreviate, parseBlocks, runBlock, type Block, type RunEnv } from './doc-examples.js';
import { installInto, npm, pack, REPO_ROOT } from './install-packed.js';

export const EXAMPLE_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The Markdown files whose shell examples are run. */
export function exampleFiles(): string[] {
  const docs = join(REPO_ROOT, 'docs');
  return [
    join(REPO_ROOT, 'README.md'),
    ...(existsSync(docs)
      ? readdirSync(docs)
          .filter((f) => f.endsWith('.md'))
          .map((f) => join(docs, f))
      : []),
  ];
}

/** Runs a block with fresh ports and the careful example consumer listening where the text says 3000. */
export async function runWithConsumer(block: Block, cwd: string) {
  const ports = { api: await freePort(), consumer: await freePort(), proxy: await freePort() };
  const consumer = await startCarefulConsumer({
    port: ports.consumer,
    secret: EXAMPLE_SECRET,
    pulseBaseUrl: `http://127.0.0.1:${ports.api}`,
  });
  const env: RunEnv = { cwd, ports };
  try {
    return { ports, results: await runBlock(block, env) };
  } finally {
    await consumer.close();
  }
}

async function main() {
  const check = process.argv.includes('--check');
  await npm(['run', 'build', '--silent'], REPO_ROOT);
  const dest = mkdtempSync(join(tmpdir(), 'pm-examples-pack-'));
  const { tarball } = await pack(dest);
  const user = await installInto('pm-examples-', tarball);
  let stale = 0;
  for (const file of exampleFiles()) {
    const lines = readFileSync(file, 'utf8').split('\n');
    // Bottom-up, so that rewriting a block leaves the line numbers of the blocks above it right.
    for (const block of parseBlocks(lines.join('\n'), file).reverse()) {
      const { ports, results } = await runWithConsumer(block, user.dir);
      const back = (t: string) =>
        t
          .replaceAll(`127.0.0.1:${ports.api}`, '127.0.0.1:4050')
          .replaceAll(`127.0.0.1:${ports.consumer}`, 'localhost:3000')
          .replaceAll(`127.0.0.1:${ports.proxy}`, '127.0.0.1:4051');
      // Rewrite from the bottom of the block up, so earlier line numbers stay right.
      for (const r of [...results].reverse()) {
        const rel = `${file.replace(REPO_ROOT, '')}:${r.step.line}`;
        if (r.status === 'failed') console.log(`[pulse-mock] ${rel}: FAILED \`${r.command}\`\n${r.output}`);
        if (r.status === 'mismatch') {
          stale++;
          console.log(`[pulse-mock] ${rel}: output differs${check ? `; now:\n${r.output}` : ': regenerated'}`);
        }
        if (check) continue;
        const rename = (t: string) => t.replace(/[0-9a-f]{4}…/g, (ph) => r.renames.get(ph) ?? ph);
        let at = r.step.line - 1; // the command's first line (0-based)
        lines[at] = rename(lines[at]!);
        while (lines[at]!.trimEnd().endsWith('\\')) lines[++at] = rename(lines[at]!);
        if (r.step.shown === undefined) continue;
        const shownLines = r.step.shown.split('\n').length;
        const now = r.status === 'mismatch' ? back(abbreviate(r.output)) : rename(r.step.shown);
        lines.splice(at + 1, shownLines, ...now.split('\n'));
      }
    }
    if (!check) writeFileSync(file, lines.join('\n'));
  }
  console.log(`[pulse-mock] ${stale} shown output(s) ${check ? 'differ' : 'regenerated'}`);
  for (const dir of [user.dir, dest]) rmSync(dir, { recursive: true, force: true });
  process.exit(check && stale > 0 ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
