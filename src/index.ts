import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Clock } from './clock.js';
import { resolveConfig, type MockConfig } from './config.js';
import type { PulseCore } from './core/pulse-core.js';
import { buildApp } from './server/app.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { Attempt, Delivery } from './delivery/types.js';

export { ConfigError, resolveConfig, CONFIG_FLAGS, type MockConfig, type OutcomeRuleConfig, type DocumentRuleConfig } from './config.js';
export { ManualClock, scaledClock, systemClock, type Clock, type Timer } from './clock.js';
export { PulseMockError, type PulseErrorBody } from './core/errors.js';
export { JOB_EVENT_TYPES, type JobEvent, type JobEventPayload, type JobEventType, type JobStatus } from './core/events.js';
export type { ExtractResult, LargeResultPointer } from './core/result-generator.js';
export type { AsyncSubmissionResponse, JobStatusResponse } from './core/pulse-core.js';
export { VERSION } from './version.js';
export { defineScenario, type Scenario, type ScenarioContext, type SendOptions, type SentEvent } from './scenarios/define.js';
export { SIGNATURE_FAULTS, explain as explainFault, type Fault, type FaultRule, type FaultScope, type SignatureFault, type ApiRoute } from './faults/fault-plan.js';
export type { Delivery, Attempt, DeliveryStatus } from './delivery/types.js';

/** Options for `createPulseMock`: any `MockConfig` field, plus a clock for tests. */
export type PulseMockOptions = Partial<Omit<MockConfig, 'seedGenerated' | 'configFile'>> & {
  /** Defaults to the system clock; pass a `ManualClock` to drive time from a test. */
  clock?: Clock;
  /** A JSON config file, read as the CLI's `--config` would. */
  configFile?: string;
  /** Called with one line per request (the CLI prints these). */
  onRequestLog?: (line: { method: string; url: string; status: number; ms: number }) => void;
};

export interface PulseMock {
  /** Base URL, e.g. `http://127.0.0.1:40123`: use it as the Pulse client's baseUrl. */
  url: string;
  port: number;
  /** The key clients should send: the configured one, or a placeholder when any key is accepted. */
  apiKey: string;
  /** False when any non-empty key is accepted. */
  apiKeyRequired: boolean;
  seed: number;
  config: MockConfig;
  /** The core: jobs, events (`core.onEvent`), and the same calls the routes make. */
  core: PulseCore;
  /** Webhook endpoints, the dispatcher and its delivery log. */
  runtime: Runtime;
  /** The secret of endpoints that name none (`--webhook-secret`, or generated). */
  webhookSecret: string;
  /** Token in the portal link; also the admin token when listening beyond loopback. */
  portalToken: string;
  app: FastifyInstance;
  /** Stops listening and cancels pending job timers. Safe to call twice. */
  close(): Promise<{ pending: number; sending: number }>;
}

/** The key shown when none is configured (any non-empty key works then). */
export const PLACEHOLDER_API_KEY = 'pulse-mock-any-key';

/**
 * Starts a mock Pulse server in this process.
 *
 * @example
 * const mock = await createPulseMock({ port: 0, seed: 1 });
 * const client = new PulseClient({ apiKey: mock.apiKey, baseUrl: mock.url });
 * // ...
 * await mock.close();
 */
export async function createPulseMock(options: PulseMockOptions = {}): Promise<PulseMock> {
  const { clock, configFile, onRequestLog, ...rest } = options;
  const config = resolveConfig({ options: rest, env: {}, ...(configFile ? { configFile } : {}) });
  return startWithConfig(config, { ...(clock ? { clock } : {}), ...(onRequestLog ? { onRequestLog } : {}) });
}

/** Starts from an already resolved config (the CLI path). */
export async function startWithConfig(
  config: MockConfig,
  extra: {
    clock?: Clock;
    onRequestLog?: PulseMockOptions['onRequestLog'];
    onInternalError?: (e: unknown) => void;
    onAttempt?: (d: Delivery, a: Attempt) => void;
  } = {},
): Promise<PulseMock> {
  const runtime = createRuntime(config, {
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.onAttempt ? { onAttempt: extra.onAttempt } : {}),
  });
  const { core } = runtime;
  const portalToken = randomBytes(18).toString('base64url');
  const app = await buildApp({
    runtime,
    portalToken,
    requireAdminToken: !isLoopback(config.host),
    ...(extra.onRequestLog ? { onRequestLog: extra.onRequestLog } : {}),
    ...(extra.onInternalError ? { onInternalError: extra.onInternalError } : {}),
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  let closed: Promise<{ pending: number; sending: number }> | undefined;
  return {
    url: `http://${displayHost}:${address.port}`,
    port: address.port,
    apiKey: config.apiKey ?? PLACEHOLDER_API_KEY,
    apiKeyRequired: config.apiKey !== undefined,
    seed: config.seed,
    config,
    core,
    runtime,
    webhookSecret: runtime.webhookSecret,
    portalToken,
    app,
    close: () =>
      (closed ??= (async () => {
        const left = runtime.close();
        await app.close();
        return left;
      })()),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
