import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/test-deps.ts', import.meta.url));

async function testDeps(env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('scripts/test-deps.ts (npm test runs it first)', () => {
  it('passes quietly when every prerequisite is there (this suite is running, so they are)', async () => {
    const r = await testDeps({});
    expect(r).toMatchObject({ code: 0, out: '', err: '' });
  });

  it('stops with one line per missing piece and the exact commands when it may not install', async () => {
    const r = await testDeps({
      CHROMIUM_PATH: '/nonexistent/chromium',
      TEST_PYTHON: '/nonexistent/python3',
      TEST_DEPS_INSTALL: '0',
    });
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    // Python 3, Flask and openpyxl (the Python is missing), and Chromium; pngcheck is there.
    expect(lines.filter((l) => l.includes('missing '))).toHaveLength(4);
    expect(r.err).toMatch(
      /missing Chromium, .*apt-get install -y chromium.*brew install --cask chromium.*CHROMIUM_PATH=/,
    );
    expect(r.err).toMatch(/missing Flask, .*apt-get install -y python3-flask.*pip install flask.*TEST_PYTHON=/);
    expect(r.err).toMatch(/missing openpyxl, .*apt-get install -y python3-openpyxl.*pip install openpyxl/);
    expect(lines.at(-1)).toMatch(
      /apt-get update && (sudo )?apt-get install -y python3 python3-flask python3-openpyxl chromium(-browser)?$/,
    );
    expect(r.out).toBe('');
  });
});
