/**
 * The origins of the mock servers listening in this process, so that msw handlers let requests
 * to them through (a test with `onUnhandledRequest: 'error'` can also start a real mock). Kept on
 * globalThis under a registered symbol: the ESM and the CommonJS builds of the package, loaded
 * side by side, see one set.
 */
const KEY = Symbol.for('pulse-mock.running-origins');

function origins(): Set<string> {
  const g = globalThis as { [KEY]?: Set<string> };
  return (g[KEY] ??= new Set());
}

/** Records a listening mock; the returned function forgets it (on close). */
export function registerRunningMock(url: string): () => void {
  const origin = new URL(url).origin;
  const set = origins();
  set.add(origin);
  return () => set.delete(origin);
}

/** True when `url` is on a mock server listening in this process. */
export function isRunningMockUrl(url: string): boolean {
  const set = origins();
  return set.size > 0 && set.has(new URL(url).origin);
}
