import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { NOT_RUN, parseBlocks, type StepResult } from '../../scripts/doc-examples.js';
import { exampleFiles, runWithConsumer } from '../../scripts/readme-examples.js';

/**
 * Every shell example of README.md (and docs/*.md) run against the installed CLI, as a reader
 * runs it: each command must succeed and print what the text shows (scripts/doc-examples.ts
 * says how `…`, ids and ports are read). `npm run docs:examples` regenerates stale outputs.
 */
const pkg = inject('installed');
const cwd = join(pkg.user, 'readme-examples');
mkdirSync(cwd, { recursive: true });

const describeResult = (r: StepResult) =>
  `${r.step.command}\n  -> ${r.status}${r.status === 'mismatch' ? `; the text shows:\n${r.step.shown}\n  printed:\n${r.output}` : r.status === 'failed' ? `:\n${r.output}` : ''}`;

for (const file of exampleFiles()) {
  const name = file.slice(pkg.root.length);
  const blocks = parseBlocks(readFileSync(file, 'utf8'), file);
  describe(name, () => {
    it('says why each shell example it does not run cannot run here', () => {
      const steps = blocks.flatMap((b) => b.steps);
      if (file.endsWith('README.md')) expect(steps.length).toBeGreaterThan(0);
      for (const s of steps.filter((x) => NOT_RUN[x.command])) expect(NOT_RUN[s.command]!.length).toBeGreaterThan(10);
    });
    for (const block of blocks) {
      it(`line ${block.line}: ${block.steps[0]?.command.slice(0, 60) ?? ''}`, { timeout: 180_000 }, async () => {
        const { results } = await runWithConsumer(block, cwd);
        const wrong = results.filter((r) => r.status === 'failed' || r.status === 'mismatch');
        expect(wrong.map(describeResult)).toEqual([]);
      });
    }
  });
}
