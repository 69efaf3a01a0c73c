#!/usr/bin/env node
// Runs the CLI from source (through tsx) in a checkout, from dist/ in an installed package
// (or in a checkout with PULSE_MOCK_USE_DIST=1 after `npm run build`, as the benchmarks do).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A mock server is a long-lived process that allocates quickly under load (every job and every
// delivery): V8's default heap growth let the heap reach twice the live data in the 100k-job
// benchmark. Growing by 20% per step keeps RSS near what is live at no measured cost in speed
// (bench/RESULTS.md). Set here, for the CLI's own process only, never in a user's test process.
setFlagsFromString('--heap-growing-percent=20');

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source) && process.env.PULSE_MOCK_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(new URL('../dist/cli.js', import.meta.url).href));
}
await main();
