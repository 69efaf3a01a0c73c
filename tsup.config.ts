import { defineConfig } from 'tsup';

// Published shape: ESM and CommonJS with types for the library entries, ESM for the CLI.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', msw: 'src/msw/index.ts', testing: 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
    // json-schema-faker ships ESM only (import condition); bundling it lets require('pulse-mock') work.
    noExternal: ['json-schema-faker'],
    external: ['msw', 'vitest'],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
