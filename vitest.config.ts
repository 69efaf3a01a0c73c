import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The examples import the package by name, as users do; here that means the sources.
    alias: [
      { find: /^pulse-mock\/msw$/, replacement: src('msw/index.ts') },
      { find: /^pulse-mock\/testing$/, replacement: src('testing/index.ts') },
      { find: /^pulse-mock$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
