import type { MockConfig } from '../config.js';
import type { JobEvent } from '../core/events.js';
import type { PulseMock } from '../index.js';

/** Console output: a human banner and `[pulse-mock]` lines, or one JSON object per line. */
export interface Output {
  ready(mock: PulseMock): void;
  request(line: { method: string; url: string; status: number; ms: number }): void;
  jobEvent(ev: JobEvent): void;
  shutdown(signal: string, counts: { jobs: number; unfinished: number }): void;
  internalError(err: unknown): void;
}

export function createOutput(config: MockConfig): Output {
  const json = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const line = (s: string) => process.stdout.write(`[pulse-mock] ${s}\n`);
  const verbose = !config.quiet;

  if (config.json) {
    return {
      ready: (m) =>
        json({
          event: 'ready',
          url: m.url,
          apiKey: m.apiKey,
          apiKeyRequired: m.apiKeyRequired,
          seed: m.seed,
          port: m.port,
          host: config.host,
          openapi: `${m.url}/openapi.json`,
          ...(config.configFile ? { configFile: config.configFile } : {}),
        }),
      request: (l) => verbose && json({ event: 'request', ...l }),
      jobEvent: (e) => verbose && json({ event: 'job', type: e.type, jobId: e.jobId, status: e.payload.data.status, ...(e.payload.data.error ? { error: e.payload.data.error } : {}) }),
      shutdown: (signal, c) => json({ event: 'shutdown', signal, ...c }),
      internalError: (err) => process.stderr.write(`${JSON.stringify({ event: 'internal-error', message: String((err as Error)?.stack ?? err) })}\n`),
    };
  }
  return {
    ready(m) {
      line(`Pulse mock listening on ${m.url}`);
      line(
        m.apiKeyRequired
          ? `  API key:  ${m.apiKey} (send it as x-api-key)`
          : `  API key:  any non-empty x-api-key is accepted (e.g. ${m.apiKey}); --api-key requires one`,
      );
      line(`  seed:     ${m.seed}${config.seedGenerated ? ` (generated; replay with --seed ${m.seed})` : ''}`);
      line(`  jobs:     pending ${config.queueMs} ms, processing ${config.processingMs} ms, failure rate ${config.failureRate}`);
      line(`  OpenAPI:  ${m.url}/openapi.json`);
      if (config.configFile) line(`  config:   ${config.configFile}`);
      if (config.host === '0.0.0.0' || config.host === '::') line('  warning:  listening on every interface; anyone on your network can reach this mock');
      line('Press Ctrl+C to stop.');
    },
    request: (l) => verbose && line(`${l.method} ${l.url} ${l.status} ${l.ms}ms`),
    jobEvent: (e) => verbose && line(`${e.type} ${e.jobId}${e.payload.data.error ? `: ${e.payload.data.error}` : ''}`),
    shutdown: (signal, c) => line(`${signal}: stopping (${c.jobs} jobs, ${c.unfinished} still pending or processing were abandoned)`),
    internalError: (err) => process.stderr.write(`[pulse-mock] internal error (a bug in pulse-mock): ${String((err as Error)?.stack ?? err)}\n`),
  };
}
