import type { MockConfig } from '../config.js';
import type { JobEvent } from '../core/events.js';
import type { Attempt, Delivery } from '../delivery/types.js';
import { explain as explainFault } from '../faults/fault-plan.js';
import { isLoopbackHost } from '../server/guard.js';
import type { RunningServer } from '../server/start.js';

/** Console output: a human banner and `[pulse-mock]` lines, or one JSON object per line. */
export interface Output {
  ready(server: RunningServer): void;
  /** Absent with --quiet: then no per-request hook is installed at all. */
  request?: (line: { method: string; url: string; status: number; ms: number }) => void;
  jobEvent(ev: JobEvent): void;
  attempt(d: Delivery, a: Attempt): void;
  shutdown(
    signal: string,
    counts: { jobs: number; unfinished: number; deliveriesPending: number; deliveriesSending: number },
  ): void;
  internalError(err: unknown): void;
  /** A problem writing `--state`, or its end. */
  journalProblem(line: string): void;
}

export function createOutput(config: MockConfig): Output {
  const json = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const line = (s: string) => process.stdout.write(`[pulse-mock] ${s}\n`);
  const verbose = !config.quiet;

  if (config.json) {
    return {
      ready: ({ mock: m, runtime: rt }) =>
        json({
          event: 'ready',
          url: m.url,
          apiKey: m.apiKey,
          apiKeyRequired: m.apiKeyRequired,
          seed: m.seed,
          port: m.port,
          host: config.host,
          openapi: `${m.url}/openapi.json`,
          webhookSecret: m.webhookSecret,
          headerPrefix: config.headerPrefix,
          endpoints: rt.endpoints.list().map((e) => ({ id: e.id, url: e.url })),
          portal: `${m.url}/portal?token=${m.portalToken}`,
          adminToken: m.adminToken,
          ...(rt.restored
            ? {
                restored: {
                  jobs: rt.restored.jobs.length - (rt.restored.unknownKindJobs ?? 0),
                  endpoints: rt.restored.endpoints.length,
                  deliveries: rt.restored.deliveries.length,
                  starts: rt.restored.starts,
                  jobsOfUnknownKind: rt.restored.unknownKindJobs ?? 0,
                  skippedLines: rt.restored.skipped,
                  ...(rt.restored.damagedCopy ? { damagedCopy: rt.restored.damagedCopy } : {}),
                },
              }
            : {}),
          ...(config.configFile ? { configFile: config.configFile } : {}),
        }),
      ...(verbose ? { request: (l) => json({ event: 'request', ...l }) } : {}),
      attempt: (d, a) =>
        verbose &&
        json({
          event: 'delivery',
          messageId: d.messageId,
          endpointId: d.endpointId,
          type: d.eventType,
          jobId: d.jobId ?? null,
          attempt: a.n,
          status: a.status ?? null,
          error: a.error ?? null,
          durationMs: a.durationMs,
          outcome: d.status,
          retryInMs: a.retryInMs ?? null,
          reason: d.reason ?? null,
          fault: a.fault ?? null,
          faults: d.faults,
        }),
      jobEvent: (e) =>
        verbose &&
        json({
          event: 'job',
          type: e.type,
          jobId: e.jobId,
          status: e.payload.data.status,
          ...(e.payload.data.error ? { error: e.payload.data.error } : {}),
        }),
      shutdown: (signal, c) => json({ event: 'shutdown', signal, ...c }),
      internalError: (err) =>
        process.stderr.write(
          `${JSON.stringify({ event: 'internal-error', message: String((err as Error)?.stack ?? err) })}\n`,
        ),
      journalProblem: (message) => process.stderr.write(`${JSON.stringify({ event: 'state', message })}\n`),
    };
  }
  return {
    ready({ mock: m, runtime: rt }) {
      line(`Pulse mock listening on ${m.url}`);
      line(
        m.apiKeyRequired
          ? `  API key:  ${m.apiKey} (send it as x-api-key)`
          : `  API key:  any non-empty x-api-key is accepted (e.g. ${m.apiKey}); --api-key requires one`,
      );
      line(`  seed:     ${m.seed}${config.seedGenerated ? ` (generated; replay with --seed ${m.seed})` : ''}`);
      line(
        `  jobs:     pending ${config.queueMs} ms, processing ${config.processingMs} ms, failure rate ${config.failureRate}`,
      );
      line(`  OpenAPI:  ${m.url}/openapi.json`);
      line(
        `  webhooks: signed with ${m.webhookSecret}${config.webhookSecret ? '' : ' (generated; set --webhook-secret to fix it)'}`,
      );
      const eps = rt.endpoints.list();
      if (eps.length === 0)
        line('            no endpoint yet: add --webhook-url URL, or one through the portal / POST /_mock/endpoints');
      for (const e of eps) line(`            -> ${e.url}${e.eventTypes.length ? ` (${e.eventTypes.join(', ')})` : ''}`);
      line(`  portal:   ${m.url}/portal?token=${m.portalToken}`);
      line(
        isLoopbackHost(config.host)
          ? `  admin:    ${m.url}/_mock/ is open to this machine, refused to other sites' pages (admin token ${m.adminToken})`
          : `  admin:    ${m.url}/_mock/ wants Authorization: Bearer ${m.adminToken}`,
      );
      const r = rt.restored;
      if (r) {
        const unknown = r.unknownKindJobs ?? 0;
        line(
          `  state:    ${config.state} (start #${r.starts + 1}; restored ${r.jobs.length - unknown} jobs, ${r.endpoints.length} endpoints, ${r.deliveries.length} deliveries${unknown ? `; ${unknown} jobs of a kind this version does not know were kept in the file, not run` : ''})`,
        );
        if (r.skipped > 0)
          line(
            `  warning:  ${r.skipped} line${r.skipped === 1 ? '' : 's'} of the state file could not be read and were skipped; the file as it was is kept at ${r.damagedCopy}`,
          );
      }
      if (config.timeScale !== 1) line(`  time:     scaled by ${config.timeScale} (retries and job timing)`);
      for (const f of rt.faults.list()) line(`  fault:    ${explainFault(f)}`);
      if (config.configFile) line(`  config:   ${config.configFile}`);
      if (config.host === '0.0.0.0' || config.host === '::')
        line('  warning:  listening on every interface; anyone on your network can reach this mock');
      line('Press Ctrl+C to stop.');
    },
    ...(verbose ? { request: (l) => line(`${l.method} ${l.url} ${l.status} ${l.ms}ms`) } : {}),
    attempt: (d, a) => {
      if (!verbose) return;
      const got = a.status !== undefined ? `${a.status}` : (a.error ?? 'no response');
      const next =
        d.status === 'succeeded'
          ? 'delivered'
          : d.status === 'pending' && a.retryInMs !== undefined
            ? `retry in ${formatMs(a.retryInMs)}`
            : `failed: ${d.reason ?? ''}`;
      const faults = [...d.faults, ...(a.fault ? [a.fault] : [])];
      line(
        `webhook ${d.eventType} ${d.messageId} -> ${d.url} attempt ${a.n}: ${got} in ${a.durationMs}ms, ${next}${faults.length ? ` [fault: ${faults.join('; ')}]` : ''}`,
      );
    },
    jobEvent: (e) => verbose && line(`${e.type} ${e.jobId}${e.payload.data.error ? `: ${e.payload.data.error}` : ''}`),
    shutdown: (signal, c) =>
      line(
        `${signal}: stopped (${c.jobs} jobs, ${c.unfinished} unfinished; ${c.deliveriesPending} deliveries awaiting a retry and ${c.deliveriesSending} in flight were abandoned)`,
      ),
    internalError: (err) =>
      process.stderr.write(
        `[pulse-mock] internal error (a bug in pulse-mock): ${String((err as Error)?.stack ?? err)}\n`,
      ),
    journalProblem: (message) => process.stderr.write(`${message}\n`),
  };
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 6000) / 10}min`;
  return `${Math.round(ms / 360_000) / 10}h`;
}
