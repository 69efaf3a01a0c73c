import type { Severity } from '../scenarios/check.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, CONFIG_FLAGS, resolveConfig, type MockConfig } from '../config.js';
import { VERSION } from '../version.js';
import { startServer, type RunningServer } from '../server/start.js';
import { createOutput, type Output } from './output.js';
import { checkSecret } from '../delivery/signing.js';
import type { ReporterName } from '../scenarios/reporters.js';
import type { Scenario } from '../scenarios/define.js';

/** Flag descriptions, by config key; types and ranges live in config.ts. */
const DESCRIBE: Record<string, string> = {
  port: 'Port to listen on; 0 picks a free one',
  host: 'Interface to bind',
  apiKey: 'Require this x-api-key (omitted: any non-empty key is accepted)',
  seed: 'Seed for every random choice; same seed and requests, same bodies',
  processingMs: 'How long a job stays processing (ms)',
  queueMs: 'How long a job stays pending before processing (ms)',
  failureRate: 'Share of async jobs that fail, 0..1, drawn from the seed',
  bodyLimit: 'Largest accepted upload, or JSON that carries files as base64 (bytes, or 10mb); larger gets 413 FILE_002',
  jsonBodyLimit:
    'Largest accepted JSON or form body on every other route, admin API included (bytes, or 2mb); larger gets 413',
  requestTimeoutMs: 'A request not received whole within this time gets 408 and is closed (ms, real time)',
  duplicateRate: 'Fault: share of deliveries sent again with the same webhook-id (0..1)',
  duplicateCount: 'Fault: extra copies per duplicated delivery',
  delayMs: 'Fault: hold every delivery MIN[-MAX] ms (mock time) before its first attempt',
  badSignatureRate: 'Fault: share of attempts sent with a bad signature (0..1)',
  badSignatureKind: 'Fault: which bad signature (default random)',
  reorderRate: 'Fault: share of deliveries held until the next event of their job overtakes them',
  dropRate: 'Fault: share of deliveries never sent (logged as dropped)',
  apiErrorRate: 'Fault: share of API calls answered with --api-error-status',
  apiErrorStatus: 'Fault: 429, 500 or 503 (429 and 503 carry Retry-After: 1)',
  apiLatencyMs: 'Fault: add MIN[-MAX] ms of latency to every API call',
  maxBacklog:
    'Past this many webhook deliveries waiting to go out, async submissions wait (up to 10 s) for them to catch up; 0: no limit',
  maxJobs: 'Jobs kept in memory, with their deliveries; past it the oldest finished job is evicted',
  maxEndpoints: 'Webhook endpoints at most; one more is refused (400)',
  maxPending:
    'Deliveries not yet finished (retries included) past which async submissions get 503 BACKLOG_FULL with Retry-After; nothing accepted is dropped',
  asyncStatusCode: 'HTTP status of an async submission: 200 or 202',
  webhookUrl: 'Deliver signed webhooks to this URL (repeatable)',
  allowedHosts:
    'Answer requests for this host name too, besides localhost and loopback addresses (repeatable; only matters on loopback)',
  webhookSecret: 'whsec_ secret to sign with (omitted: one is generated and printed)',
  headerPrefix: 'Signature headers: webhook-* (Standard Webhooks) or svix-*',
  deliveryTimeoutMs: 'A delivery fails without a 2xx within this time (ms, real time)',
  retrySchedule: "Delays between attempts, e.g. 5s,5m,30m (default: Svix's 5s,5m,30m,2h,5h,10h,10h)",
  retryJitter:
    "How far each retry's delay strays either way, 0..0.5, drawn from the seed (Svix's 0.2; 0 for exact delays)",
  timeScale: 'Multiply every mock delay (retries, job timing); 0.001 turns 5 min into 300 ms',
  deliveryConcurrency: 'Deliveries in flight per endpoint',
  rotationGraceMs: 'How long a rotated-out secret keeps signing (ms of mock time)',
  s3PrefixItems: "How many files a batch's input.s3_prefix stands for (named after the prefix; S3 is never contacted)",
  outputDir:
    "The only directory a batch's output.local_path may write result files into (relative paths: from the working directory)",
  state: 'Keep jobs, endpoints and pending deliveries in this file across restarts (even kill -9)',
  recordings: 'Answer requests that match a recording in this directory (pulse-mock record) with its recorded body',
  recordingsStrict: 'With --recordings: a request that matches no recording is a 404, not a generated result',
  json: 'Machine-readable output: one JSON object per line, starting with a ready line',
  quiet: 'Print only the ready line/banner and errors',
};

function startOptions(y: Argv): Argv {
  for (const f of CONFIG_FLAGS) {
    const isBool = f.key === 'json' || f.key === 'quiet' || f.key === 'recordingsStrict';
    y.option(f.flag, {
      type: isBool ? 'boolean' : 'string',
      ...(f.key === 'webhookUrl' || f.key === 'allowedHosts' ? { array: true } : {}),
      describe: `${DESCRIBE[f.key] ?? ''} [env ${f.env}]`,
      ...(isBool ? { default: undefined } : { requiresArg: true }),
    });
  }
  return y
    .option('config', {
      type: 'string',
      requiresArg: true,
      describe: 'JSON config file [env PULSE_MOCK_CONFIG] (default: ./pulse-mock.config.json if present)',
    })
    .example('$0 start', 'Start on http://127.0.0.1:4050')
    .example('$0 start --port 0 --json', 'Free port; print a JSON ready line for CI')
    .example('$0 start --api-key sk_test --seed 42 --failure-rate 0.2', 'Require a key, fixed seed, 20% of jobs fail')
    .example(
      '$0 start --webhook-url http://localhost:3000/webhook --webhook-secret whsec_...',
      'Deliver signed job events to your consumer',
    )
    .example(
      '$0 start --webhook-url http://localhost:3000/webhook --time-scale 0.001',
      "Walk Svix's whole retry schedule in about two minutes",
    );
}

export async function main(argv = hideBin(process.argv)): Promise<void> {
  // `pulse-mock scenario list | head -1`: output closed by its reader ends the run, quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  await yargs(argv)
    .scriptName('pulse-mock')
    .usage('$0 <command> [options]\n\nA local mock of the Pulse document-extraction API and its webhooks.')
    .command('start', 'Start the mock Pulse server', startOptions, async (args) => {
      const options: Record<string, unknown> = {};
      for (const f of CONFIG_FLAGS) if (args[f.flag] !== undefined) options[f.key] = args[f.flag];
      let config: MockConfig;
      try {
        config = resolveConfig({
          options,
          env: process.env,
          ...(typeof args.config === 'string' ? { configFile: args.config } : {}),
          discoverConfigFile: true,
        });
      } catch (e) {
        if (e instanceof ConfigError) fail(e.problem);
        throw e;
      }
      await start(config);
    })
    .command(
      'record',
      'Forward your client to Pulse (or any upstream) and keep each exchange as a recording to replay',
      (y) =>
        y
          .option('upstream', {
            type: 'string',
            requiresArg: true,
            describe: "Where requests go, with your client's own key (e.g. https://api.runpulse.com)",
          })
          .option('out', { type: 'string', requiresArg: true, describe: 'The directory recordings are written to' })
          .option('port', {
            type: 'number',
            requiresArg: true,
            default: 4050,
            describe: 'Port to listen on (0: a free one)',
          })
          .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'Address to listen on' })
          .option('json', { type: 'boolean', describe: 'One JSON object per line, starting with a ready line' })
          .example(
            '$0 record --upstream https://api.runpulse.com --out recordings',
            'Point your client at http://127.0.0.1:4050, run it, stop with Ctrl-C; then replay with start --recordings recordings',
          ),
      async (args) => {
        const upstream = requireUpstream(args.upstream);
        if (!args.out) fail('--out is required: the directory recordings are written to');
        const { startRecorder } = await import('../recording/recorder.js');
        const json = args.json === true;
        let recorder;
        try {
          recorder = await startRecorder({
            upstream,
            out: args.out,
            port: args.port,
            host: args.host,
            bodyLimit: 200 * 1024 * 1024,
            onExchange: (e) =>
              process.stdout.write(
                json
                  ? `${JSON.stringify({ event: 'exchange', ...e })}\n`
                  : `${e.method} ${e.path} -> ${e.status}${e.file ? `  ${e.file}` : ''}\n`,
              ),
          });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
            fail(`port ${args.port} on ${args.host} is already in use; pick another with --port (0 picks a free one)`);
          throw e;
        }
        process.stdout.write(
          json
            ? `${JSON.stringify({ event: 'ready', url: recorder.url, upstream, out: args.out })}\n`
            : `[pulse-mock] recording: point your client at ${recorder.url}; requests go to ${upstream}, recordings to ${args.out}. Press Ctrl+C to stop.\n`,
        );
        const stop = async () => {
          const { recordings } = await recorder.close();
          process.stdout.write(
            json
              ? `${JSON.stringify({ event: 'stopped', recordings })}\n`
              : `[pulse-mock] stopped: ${recordings} recording(s) in ${args.out}\n`,
          );
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    )
    .command(
      'verify',
      "Send the same requests to Pulse (or any upstream) and to the mock, and report where the answers' shapes differ",
      (y) =>
        y
          .option('upstream', {
            type: 'string',
            requiresArg: true,
            describe: 'The API to compare with (e.g. https://api.runpulse.com)',
          })
          .option('upstream-api-key', {
            type: 'string',
            requiresArg: true,
            describe: "The upstream's API key [env PULSE_API_KEY]",
          })
          .option('recordings', {
            type: 'string',
            requiresArg: true,
            describe: "Send the recordings' requests (pulse-mock record) instead of the built-in set",
          })
          .option('file-url', {
            type: 'string',
            requiresArg: true,
            describe: 'The document the built-in set extracts (Pulse downloads it)',
          })
          .option('timeout', {
            type: 'number',
            requiresArg: true,
            default: 120_000,
            describe: 'The longest an async job may take on either side (ms)',
          })
          .option('reporter', {
            choices: ['pretty', 'json', 'junit'] as const,
            default: 'pretty',
            describe: 'Output format',
          })
          .example(
            'PULSE_API_KEY=... $0 verify --upstream https://api.runpulse.com',
            'Nightly in CI: exit 1 the day Pulse changes',
          ),
      async (args) => {
        const upstream = requireUpstream(args.upstream);
        const key = args['upstream-api-key'] ?? process.env.PULSE_API_KEY;
        const { runVerify, formatVerifyReport } = await import('../recording/verify.js');
        let report;
        try {
          report = await runVerify({
            upstream,
            ...(key ? { upstreamApiKey: key } : {}),
            ...(args.recordings ? { recordings: args.recordings } : {}),
            ...(args['file-url'] ? { fileUrl: args['file-url'] } : {}),
            timeoutMs: args.timeout,
          });
        } catch (e) {
          if (e instanceof ConfigError) fail(e.problem);
          throw e;
        }
        process.stdout.write(formatVerifyReport(report, args.reporter as ReporterName));
        process.exit(report.passed ? 0 : 1);
      },
    )
    .command(
      'scenario <action> [names..]',
      'List or run fault-injection scenarios against a webhook consumer',
      (y) =>
        targetOptions(y)
          .positional('action', {
            choices: ['list', 'run'] as const,
            describe: 'list the built-in scenarios, or run some',
          })
          .positional('names', {
            type: 'string',
            array: true,
            describe: 'built-in scenario names or scenario files (.ts/.js)',
          })
          .option('all', { type: 'boolean', describe: 'run every built-in scenario' })
          .example('$0 scenario list', 'What scenarios there are')
          .example(
            '$0 scenario run happy-path bad-signatures --target http://localhost:3000/webhook --secret whsec_...',
            'Run two',
          ),
      async (args) => {
        // Loaded per command, so `start` does not pay for the scenario runner.
        const { listBuiltInScenarios, loadScenario, runScenarios } = await import('../scenarios/runner.js');
        const { createReporter } = await import('../scenarios/reporters.js');
        if (args.action === 'list') {
          for (const name of listBuiltInScenarios()) {
            const s = await loadScenario(name);
            process.stdout.write(`${name.padEnd(26)} ${s.description}\n`);
          }
          return;
        }
        const names = args.all ? listBuiltInScenarios() : (args.names ?? []);
        if (names.length === 0) fail('name one or more scenarios (pulse-mock scenario list), or pass --all');
        const { target, secret } = requireTarget(args);
        const effects = effectsArgs(args);
        const scenarios: Scenario[] = [];
        for (const n of names) {
          try {
            scenarios.push(await loadScenario(n));
          } catch (e) {
            fail((e as Error).message);
          }
        }
        const reporter = createReporter(args.reporter as ReporterName);
        const apiPort = args['api-port'];
        if (args.reporter === 'pretty') process.stdout.write(apiBaseLine(apiPort, target));
        const results = await onApiPort(apiPort, () =>
          runScenarios(scenarios, {
            target,
            secret,
            reporter,
            apiPort,
            ...effects,
            ...(args.seed !== undefined ? { seed: args.seed } : {}),
          }),
        );
        process.exit(results.every((r) => r.passed) ? 0 : 1);
      },
    )
    .command(
      'check',
      "Grade a webhook consumer against Pulse's Production Checklist",
      (y) =>
        targetOptions(y).option('fail-on', {
          choices: ['critical', 'warning', 'info'] as const,
          default: 'warning',
          describe: 'The least severity of a failed check that fails the run (exit 1)',
        }),
      async (args) => {
        const { target, secret } = requireTarget(args);
        const effects = effectsArgs(args);
        const { formatCheckReport, runCheck } = await import('../scenarios/check.js');
        const apiPort = args['api-port'];
        if (args.reporter === 'pretty') process.stdout.write(apiBaseLine(apiPort, target));
        const report = await onApiPort(apiPort, () =>
          runCheck({
            target,
            secret,
            apiPort,
            ...effects,
            failOn: args['fail-on'] as Severity,
            ...(args.seed !== undefined ? { seed: args.seed } : {}),
          }),
        );
        process.stdout.write(formatCheckReport(report, args.reporter as ReporterName));
        process.exit(report.passed ? 0 : 1);
      },
    )
    .demandCommand(1, 'Name a command: pulse-mock start')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    // yargs renders the whole help on every run (to show it should an async command fail), and
    // wrapping it costs tens of milliseconds of start-up: wrap only for a person at a terminal.
    .wrap(process.stdout.isTTY ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((msg, err) => {
      // yargs reports usage mistakes as YError; anything else is a real failure to surface.
      if (err && err.name !== 'YError') throw err;
      fail(`${msg ?? err?.message} (see pulse-mock --help)`);
    })
    .parseAsync();
}

function targetOptions(y: Argv) {
  return y
    .option('target', {
      type: 'string',
      requiresArg: true,
      describe: "The consumer's webhook URL [env PULSE_MOCK_TARGET]",
    })
    .option('secret', {
      type: 'string',
      requiresArg: true,
      describe: 'The whsec_ secret the consumer verifies with [env PULSE_MOCK_WEBHOOK_SECRET]',
    })
    .option('api-port', {
      type: 'number',
      requiresArg: true,
      default: 4050,
      describe: "Port of the mock Pulse API the consumer calls (fixed, so the consumer's config can name it)",
    })
    .option('effects-url', {
      type: 'string',
      requiresArg: true,
      describe:
        'A URL the consumer answers in test mode with {"status", "acted"} for a job, {job_id} in it; grades what it did, not only what it answered [env PULSE_MOCK_EFFECTS_URL]',
    })
    .option('effects-timeout', {
      type: 'number',
      requiresArg: true,
      default: 3000,
      describe: "The longest wait for the consumer's effects to settle after its last answer (ms)",
    })
    .option('reporter', { choices: ['pretty', 'json', 'junit'] as const, default: 'pretty', describe: 'Output format' })
    .option('seed', {
      type: 'number',
      requiresArg: true,
      describe: 'Seed for every random choice (printed; replay a failure with it)',
    });
}

/** What `scenario run` and `check` say first: where the consumer must find the mock's API. */
function apiBaseLine(apiPort: number, target: string): string {
  return `[pulse-mock] the consumer's Pulse API base URL must be http://127.0.0.1:${apiPort} (any x-api-key); checking ${target} ...\n`;
}

/** Runs what listens on --api-port; a taken port is one line naming the flag, not a stack. */
async function onApiPort<T>(apiPort: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail(`--api-port ${apiPort} is in use; stop what uses it or pick another (and point the consumer at it)`);
    throw e;
  }
}

/** `--effects-url` and `--effects-timeout` as runCheck and runScenarios take them (none without a URL). */
function effectsArgs(args: Record<string, unknown>): { effects?: string; effectsTimeoutMs?: number } {
  const url = (args['effects-url'] as string | undefined) ?? process.env.PULSE_MOCK_EFFECTS_URL;
  const timeout = args['effects-timeout'] as number;
  if (!(timeout > 0 && timeout <= 60_000)) fail(`--effects-timeout must be a number of ms in 1..60000, got ${timeout}`);
  if (url === undefined) return {};
  if (!URL.canParse(url.replaceAll('{job_id}', 'x')) || !/^https?:/.test(url) || !url.includes('{job_id}'))
    fail(`--effects-url must be an http(s) URL with {job_id} in it, got "${url}"`);
  return { effects: url, effectsTimeoutMs: timeout };
}

function requireUpstream(upstream: string | undefined): string {
  if (!upstream || !URL.canParse(upstream) || !/^https?:/.test(upstream))
    fail(`--upstream must be an http(s) URL${upstream ? `, got "${upstream}"` : ''}`);
  return upstream;
}

function requireTarget(args: Record<string, unknown>): { target: string; secret: string } {
  const target = (args.target as string | undefined) ?? process.env.PULSE_MOCK_TARGET;
  const secret = (args.secret as string | undefined) ?? process.env.PULSE_MOCK_WEBHOOK_SECRET;
  if (!target || !URL.canParse(target) || !/^https?:/.test(target))
    fail(`--target must be the consumer's http(s) webhook URL${target ? `, got "${target}"` : ''}`);
  if (!secret) fail('--secret is required: the whsec_ secret the consumer verifies with');
  const problem = checkSecret(secret);
  if (problem) fail(`invalid --secret: ${problem}`);
  return { target, secret };
}

function fail(message: string): never {
  process.stderr.write(`[pulse-mock] error: ${message.replace(/^\[pulse-mock\] /, '')}\n`);
  process.exit(2);
}

async function start(config: MockConfig): Promise<void> {
  const out: Output = createOutput(config);
  let server: RunningServer;
  try {
    server = await startServer(config, {
      ...(out.request ? { onRequestLog: out.request } : {}),
      onAttempt: (d, a) => out.attempt(d, a),
      onInternalError: (e) => out.internalError(e),
      onJournalProblem: (line) => out.journalProblem(line),
    });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.problem);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      fail(`port ${config.port} on ${config.host} is already in use; pick another with --port (0 picks a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      fail(`cannot bind --host ${config.host}: ${err.code}`);
    throw e;
  }
  const { mock, runtime } = server;
  mock.onEvent((ev) => out.jobEvent(ev));
  out.ready(server);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    const unfinished = mock.jobs().filter((j) => j.status === 'pending' || j.status === 'processing').length;
    const left = await mock.close();
    out.shutdown(signal, {
      jobs: runtime.core.jobs.size,
      unfinished,
      deliveriesPending: left.pending,
      deliveriesSending: left.sending,
    });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
