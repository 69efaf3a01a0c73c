import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { resolveConfig } from '../src/config.js';
import { createPulseMsw, type PulseHandlersOptions } from '../src/msw/index.js';
import { startServer, type RunningServer } from '../src/server/start.js';

/** Pulse's base URL as msw intercepts it. */
export const PULSE = 'https://api.runpulse.com';

export type JsonCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Record<string, any> }>;

/** Calls on a base URL (a server's, or Pulse's under msw) with an API key, JSON in and out; other answers as `{ bytes, type }`. */
export const jsonCaller =
  (base: () => string, key: string): JsonCall =>
  async (method, path, body, headers = {}) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = res.headers.get('content-type')?.includes('json');
    return {
      status: res.status,
      body: (json
        ? await res.json()
        : { bytes: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') }) as Record<
        string,
        any
      >,
    };
  };

/** The msw handlers of a mock on a manual clock, listening for the calling `describe` block. */
export function mswPulseFor(options: PulseHandlersOptions): { clock: ManualClock } {
  const clock = new ManualClock();
  const pulse = createPulseMsw({ ...options, clock });
  const msw = setupServer(...pulse.handlers);
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => {
    msw.close();
    pulse.close();
  });
  return { clock };
}

/** A listening server on a manual clock for the calling `describe` block (`server()` once started). */
export function serverFor(options: Record<string, unknown>): { clock: ManualClock; server: () => RunningServer } {
  const clock = new ManualClock();
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(resolveConfig({ env: {}, options: { port: 0, host: '127.0.0.1', ...options } }), {
      clock,
    });
  });
  afterAll(() => server?.mock.close());
  return { clock, server: () => server as RunningServer };
}
