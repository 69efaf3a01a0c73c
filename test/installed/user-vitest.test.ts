import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';

/**
 * The README's msw setup file, exactly as the README prints it, in a user's vitest project with
 * the installed package: its handlers answer a multipart extract, and startPulseMock and the
 * withPulseMock fixture work beside it under `onUnhandledRequest: 'error'`.
 */
const pkg = inject('installed');

/** The fenced block that follows the README's "Copy-paste setup file" sentence. */
function readmeSetupFile(): string {
  const readme = readFileSync(join(pkg.root, 'README.md'), 'utf8');
  const at = readme.indexOf('Copy-paste setup file (`test/setup-pulse.ts`');
  expect(at, 'the README names its msw setup file').toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  return block![1]!;
}

it("runs the README's msw setup file, the msw handlers and real mocks in one vitest project", async () => {
  const dir = join(pkg.user, 'test');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'setup-pulse.ts'), readmeSetupFile());
  copyFileSync(new URL('./user-project/pulse.test.ts', import.meta.url), join(dir, 'pulse.test.ts'));
  writeFileSync(
    join(pkg.user, 'vitest.config.ts'),
    "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { setupFiles: ['./test/setup-pulse.ts'] } });\n",
  );
  const report = join(pkg.user, 'report.json');
  const run = await promisify(execFile)(
    process.execPath,
    [join(pkg.user, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`],
    { cwd: pkg.user, timeout: 120_000 },
  ).catch((e: { stdout: string; stderr: string }) => e);
  const result = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numTotalTests: number;
    testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
  };
  const failed = result.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== 'passed'));
  expect(failed, run.stderr).toEqual([]);
  expect(result.numPassedTests).toBe(4);
});
