import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { createPulseMsw } from '../../src/msw/index.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { ALL_SDK_METHODS as ALL, everyMethod, SDK_KEY as KEY } from '../sdk-calls.js';

/** The SDK's 20 methods (test/sdk-calls.ts) through the server and through msw. */

describe("the SDK's 20 methods", () => {
  let server: RunningServer;
  const clock = new ManualClock();
  beforeAll(async () => {
    server = await startServer(
      resolveConfig({
        env: {},
        options: { seed: 20, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 10, processingMs: 100 },
      }),
      { clock },
    );
  });
  afterAll(() => server.mock.close());

  it('through the server', async () => {
    expect(new Set(await everyMethod(server.mock.url, () => clock.advance(300)))).toEqual(new Set(ALL));
  });

  it('through msw', async () => {
    const mswClock = new ManualClock();
    const pulse = createPulseMsw({ apiKey: KEY, seed: 20, queueMs: 10, processingMs: 100, clock: mswClock });
    const msw = setupServer(...pulse.handlers);
    msw.listen({ onUnhandledRequest: 'error' });
    try {
      expect(new Set(await everyMethod('https://api.runpulse.com', () => mswClock.advance(300)))).toEqual(new Set(ALL));
    } finally {
      msw.close();
      pulse.close();
    }
  });
});
