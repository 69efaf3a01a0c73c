import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// Not a benchmark (no timing is asserted): a tiny run of the bench script so it cannot rot.
it('the benchmark script runs end to end and writes results.json and RESULTS.md', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pm-bench-'));
  const root = new URL('../..', import.meta.url).pathname;
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/run.ts'), '--smoke', '--out', out],
    { cwd: root, timeout: 240_000 },
  );
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  expect(results.mode).toBe('smoke');
  for (const k of [
    'installed_startup_vs_fastify',
    'unit_cold_vs_msw_static',
    'inprocess_start_vs_fastify',
    'first_extract_ms_after_start',
    'scenarios_wall_vs_exchanges',
    'check_wall_vs_exchanges',
    'api_vs_fastify',
    'delivery_vs_raw',
    'delivery_vs_client',
    'delivery_lateness_p99_ms',
    'retry_schedule_wall_ms',
  ]) {
    expect(results.metrics[k].value, k).toBeGreaterThan(0);
    expect(results.metrics[k].detail, k).toEqual(expect.any(String));
  }
  expect(results.metrics.retry_schedule_wall_ms.detail).toMatch(/^8 attempts/);
  expect(results.metrics.delivery_vs_client.target).toBe('>= 0.6');
  expect(results.metrics.api_chained_vs_fastify?.target ?? 'report').toBe('report');
  expect(results.metrics.check_wall_vs_exchanges.target).toBe('<= 3');
  expect(readFileSync(join(out, 'RESULTS.md'), 'utf8')).toMatch(/\| `api_vs_fastify` \|/);
}, 300_000);
