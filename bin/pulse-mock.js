#!/usr/bin/env node
// Runs the CLI from source (through tsx) in a checkout, from dist/ in an installed package
// (or in a checkout with PULSE_MOCK_USE_DIST=1 after `npm run build`, as the benchmarks do).
import { existsSync } from 'node:fs';

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
