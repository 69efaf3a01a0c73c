import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../src/clock.js';
import { resolveConfig, type MockConfig } from '../src/config.js';
import type { PulseCore } from '../src/core/pulse-core.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime.js';
import { buildApp } from '../src/server/app.js';

export const KEY = 'sk_test_123';

export interface TestApp {
  app: FastifyInstance;
  core: PulseCore;
  runtime: Runtime;
  clock: ManualClock;
  config: MockConfig;
}

/** An app over a manual clock, not listening: drive it with `app.inject()` and `clock.advance()`. */
export async function testApp(
  options: Record<string, unknown> = {},
  runtimeOptions: RuntimeOptions = {},
): Promise<TestApp> {
  const config = resolveConfig({ options: { seed: 7, apiKey: KEY, ...options }, env: {} });
  const clock = new ManualClock();
  const runtime = createRuntime(config, { clock, ...runtimeOptions });
  const app = await buildApp({ runtime, portalToken: 'portal-token', onInternalError: (e) => console.error(e) });
  return { app, core: runtime.core, runtime, clock, config };
}

export function json(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method,
    url,
    headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** A multipart body built by the platform's FormData, as the official SDK builds it. */
export async function multipart(form: FormData): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const req = new Request('http://x/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await req.arrayBuffer()),
    headers: { 'content-type': req.headers.get('content-type') as string },
  };
}

export function expectPulseError(res: { statusCode: number; json(): unknown }, status: number, code: string): void {
  if (res.statusCode !== status)
    throw new Error(`expected ${status} ${code}, got ${res.statusCode}: ${JSON.stringify(res.json())}`);
  const body = res.json() as { error?: { code?: string; message?: string; details?: unknown } };
  if (body.error?.code !== code) throw new Error(`expected code ${code}, got ${JSON.stringify(body)}`);
  if (typeof body.error.message !== 'string' || !body.error.message) throw new Error('error.message missing');
  if (typeof body.error.details !== 'object' || body.error.details === null) throw new Error('error.details missing');
}
