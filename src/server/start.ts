import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import { resolveConfig, type MockConfig } from '../config.js';
import type { Attempt, Delivery } from '../delivery/types.js';
import type { Transport } from '../delivery/transport.js';
import { controlsOver, PLACEHOLDER_API_KEY } from '../facade.js';
import type { PulseMock, PulseMockOptions } from '../index.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { buildApp } from './app.js';
import { isLoopbackHost } from './guard.js';
import { registerRunningMock } from '../core/running-mocks.js';

/** A listening mock with its insides, for the CLI and the scenario runner (not exported by the package). */
export interface RunningServer {
  /** The public surface `createPulseMock` returns. */
  mock: PulseMock;
  config: MockConfig;
  runtime: Runtime;
  app: FastifyInstance;
}

export interface StartExtras {
  clock?: Clock;
  /** One line per request (the CLI prints these). */
  onRequestLog?: (line: { method: string; url: string; status: number; ms: number }) => void;
  onInternalError?: (e: unknown) => void;
  onAttempt?: (d: Delivery, a: Attempt) => void;
  onJournalProblem?: (line: string) => void;
  /** How deliveries leave (the scenario runner hands them to an in-process consumer). */
  transport?: Transport;
}

/** `createPulseMock`'s options in (named as options in errors), the running server with its insides out. */
export function startFromOptions(
  options: PulseMockOptions,
  extra: Pick<StartExtras, 'transport'> = {},
): Promise<RunningServer> {
  const { clock, configFile, onRequestLog, ...rest } = options;
  const config = resolveConfig({ options: rest, optionsAre: 'code', env: {}, ...(configFile ? { configFile } : {}) });
  return startServer(config, { ...extra, ...(clock ? { clock } : {}), ...(onRequestLog ? { onRequestLog } : {}) });
}

/** Starts the server from a resolved config and listens on `config.host`:`config.port`. */
export async function startServer(config: MockConfig, extra: StartExtras = {}): Promise<RunningServer> {
  const runtime = createRuntime(config, {
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.onAttempt ? { onAttempt: extra.onAttempt } : {}),
    ...(extra.onJournalProblem ? { onJournalProblem: extra.onJournalProblem } : {}),
    ...(extra.transport ? { transport: extra.transport } : {}),
  });
  const portalToken = randomBytes(18).toString('base64url');
  const adminToken = config.adminToken ?? randomBytes(18).toString('base64url');
  const app = await buildApp({
    runtime,
    portalToken,
    adminToken,
    loopback: isLoopbackHost(config.host),
    allowedHosts: config.allowedHosts,
    ...(extra.onRequestLog ? { onRequestLog: extra.onRequestLog } : {}),
    ...(extra.onInternalError ? { onInternalError: extra.onInternalError } : {}),
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  let closed: Promise<{ pending: number; sending: number }> | undefined;
  const url = `http://${displayHost}:${address.port}`;
  const forget = registerRunningMock(url);
  const mock: PulseMock = {
    ...controlsOver(() => runtime, config.apiKey ?? PLACEHOLDER_API_KEY),
    url,
    port: address.port,
    apiKeyRequired: config.apiKey !== undefined,
    portalToken,
    adminToken,
    close: () =>
      (closed ??= (async () => {
        const left = runtime.close();
        forget();
        await app.close();
        return left;
      })()),
  };
  return { mock, config, runtime, app };
}
