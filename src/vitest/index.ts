/**
 * `pulse-mock/vitest`: the mock as a vitest fixture. Kept apart from `pulse-mock/testing` so that
 * only a vitest project loads vitest's types.
 *
 * @example
 * import { test as base } from 'vitest';
 * import { withPulseMock } from 'pulse-mock/vitest';
 * const test = withPulseMock(base, { processingMs: 20 });
 */
import type { TestAPI } from 'vitest';
import { startPulseMock } from '../testing/index.js';
import type { PulseMock, PulseMockOptions } from '../index.js';

/**
 * A vitest fixture: `pulseMock` started before and closed after each test (or once per file).
 * Pass your `test` from vitest, so this module needs no vitest import of its own.
 *
 * @example
 * import { test as base } from 'vitest';
 * const test = withPulseMock(base, { processingMs: 20 });
 * test('submits', async ({ pulseMock }) => { ... pulseMock.url ... });
 */
export function withPulseMock(
  test: TestAPI,
  options: PulseMockOptions & { scope?: 'test' | 'file' } = {},
): TestAPI<{ pulseMock: PulseMock }> {
  const { scope = 'test', ...mockOptions } = options;
  // vitest reads the fixture's parameters: the first must be an object pattern.
  // eslint-disable-next-line no-empty-pattern
  const fixture = async ({}: object, use: (m: PulseMock) => Promise<void>) => {
    const m = await startPulseMock(mockOptions);
    try {
      await use(m);
    } finally {
      await m.close();
    }
  };
  return scope === 'file'
    ? test.extend<{ pulseMock: PulseMock }>({ pulseMock: [fixture, { scope: 'file' }] })
    : test.extend<{ pulseMock: PulseMock }>({ pulseMock: fixture });
}
