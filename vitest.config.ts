import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

/**
 * Tests that run what users install: the packed tarball, installed into scratch projects once per
 * run (test/installed/global-setup.ts). Every test that starts the CLI is one of them.
 */
const INSTALLED = [
  'test/installed/**/*.test.ts',
  'test/reliability/restart.test.ts',
  'test/reliability/state-file.test.ts',
];

export default defineConfig({
  resolve: {
    // The examples import the package by name, as users do; here that means the sources.
    alias: [
      { find: /^pulse-mock\/msw$/, replacement: src('msw/index.ts') },
      { find: /^pulse-mock\/testing$/, replacement: src('testing/index.ts') },
      { find: /^pulse-mock\/vitest$/, replacement: src('vitest/index.ts') },
      { find: /^pulse-mock$/, replacement: src('index.ts') },
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'source',
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: [...INSTALLED, 'test/installed/user-project/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'installed',
          include: INSTALLED,
          // A user's test file, run by the user-vitest test inside the scratch project.
          exclude: ['test/installed/user-project/**'],
          globalSetup: ['test/installed/global-setup.ts'],
          // Building, packing and installing the package comes first.
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
