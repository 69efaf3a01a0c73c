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
    noExternal: [
      'json-schema-faker',
      /^ajv(-formats)?(\/|$)/,
      'fast-uri',
      'json-schema-traverse',
      'fast-deep-equal',
      'secure-json-parse',
      'bytes',
      'ms',
      'denque',
    ],
    external: ['msw', 'vitest'],
  },
  {
    // The CLI carries its start-up path in a few files: Node's ESM loader resolving, reading and
    // compiling hundreds of dependency files was the largest part of `pulse-mock start`'s
    // start-up (bench/RESULTS.md). Code the mock loads only when needed stays in its own chunks
    // (splitting). Left as installed: tsx (a module loader, for scenario files), and what is
    // loaded on first use anyway: faker (large) and undici (CommonJS behind a dynamic import,
    // whose named exports a bundle would hide).
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    splitting: true,
    noExternal: [/^(?!tsx(\/|$)|@faker-js\/faker(\/|$)|undici(\/|$))/],
    // Bundled CommonJS dependencies call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __pulseMockCreateRequire } from 'node:module'; const require = __pulseMockCreateRequire(import.meta.url);",
    },
  },
]);
