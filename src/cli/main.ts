import { unchecked } from '../unchecked.js';
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
  webhookEvents: 'The event types the --webhook-url endpoints take, e.g. job.completed,job.failed (default: all)',
  adminToken:
    "The admin API's token (16+ URL-safe characters), so a script knows it in advance; wanted beyond loopback",
  recordings: 'Answer requests that match a recording in this directory (pulse-mock record) with its recorded body',
  recordingsStrict: 'With --recordings: a request that matches no recording is a 404, not a generated result',
  json: 'Machine-readable output: one JSON object per line, starting with a ready line',
  quiet: 'Print only the ready line/banner and errors',
};

function startOptions(y: Argv): Argv {
  for (const f of CONFIG_FLAGS) {
    const isBool = f.key === 'json' || f.key === 'quiet' || f.key === 'recordingsStrict';
    const isList = f.key === 'webhookUrl' || f.key === 'allowedHosts' || f.key === 'webhookEvents';
    // A number where the flag takes only one (`--port`); a string where it also takes units (`10mb`).
    const isNumber = /^an? (integer|number)\b/.test(f.expect);
    const shown = Array.isArray(f.default)
      ? f.default.join(',')
      : typeof f.default === 'string' || typeof f.default === 'number'
        ? String(f.default)
        : undefined;
    y.option(f.flag, {
      type: isBool ? 'boolean' : isNumber ? 'number' : 'string',
      ...(isList ? { array: true } : {}),
      describe: `${DESCRIBE[f.key] ?? ''} [env ${f.env}]`,
      ...(isBool ? { default: undefined } : { requiresArg: true }),
      ...(shown !== undefined && shown !== '' && !isBool ? { defaultDescription: shown } : {}),
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

/**
 * Exits once stdout and stderr are written out: into a pipe (`| tee`, a CI step's capture) they
 * are asynchronous, and `process.exit` at once would cut a long report short.
 */
async function exitFlushed(code: number): Promise<never> {
  for (const stream of [process.stdout, process.stderr])
    await new Promise<void>((resolve) => stream.write('', () => resolve()));
  process.exit(code);
}

export async function main(argv = hideBin(process.argv)): Promise<void> {
  // `pulse-mock scenario list | head -1`: output closed by its reader ends the run, quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  const parser = yargs(argv);
  await parser
    .scriptName('pulse-mock')
    .usage('$0 <command> [options]\n\nA local mock of the Pulse document-extraction API and its webhooks.')
    .command('start', 'Start the mock Pulse server', startOptions, async (args) => {
      const options: Record<string, unknown> = {};
      for (const f of CONFIG_FLAGS)
        if (args[f.flag] !== undefined)
          // A number flag given a word parses to NaN: the error names the word, as the user wrote it.
          options[f.key] = Number.isNaN(args[f.flag]) ? (rawFlag(argv, f.flag) ?? args[f.flag]) : args[f.flag];
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
        await exitFlushed(report.passed ? 0 : 1);
      },
    )
    .command(
      'trigger <event>',
      'Run a real job on a running mock to this end; print each of its deliveries as it happens',
      (y) =>
        remoteOptions(y)
          .positional('event', {
            choices: ['job.completed', 'job.failed', 'job.cancelled'] as const,
            describe: 'How the job ends',
          })
          .option('file-url', { type: 'string', requiresArg: true, describe: 'The document the job extracts' })
          .option('timeout', {
            type: 'number',
            requiresArg: true,
            default: 30_000,
            describe: 'Stop waiting after this long (ms)',
          })
          .example(
            '$0 trigger job.completed',
            'A job that completes: job.created, job.processing, job.completed go out',
          ),
      (args) =>
        remote(args, async (client, { trigger }) => {
          const settled = await trigger(client, String(args.event), {
            ...(args['file-url'] ? { fileUrl: args['file-url'] } : {}),
            timeoutMs: args.timeout,
          });
          return settled ? 0 : 1;
        }),
    )
    .command(
      'resend <message-id>',
      'Send a message again on a running mock (same webhook-id, fresh signature)',
      (y) =>
        remoteOptions(y)
          .positional('message-id', {
            type: 'string',
            demandOption: true,
            describe: 'The msg_… id (pulse-mock messages)',
          })
          .option('endpoint', { type: 'string', requiresArg: true, describe: 'Only to this endpoint' }),
      (args) =>
        remote(args, async (client, { deliveryLine }) => {
          const { data } = await client.call<{ data: Parameters<typeof deliveryLine>[0][] }>(
            'POST',
            `/_mock/messages/${encodeURIComponent(args['message-id'])}/resend`,
            args.endpoint ? { endpointId: args.endpoint } : {},
          );
          for (const d of [data].flat()) client.line({ event: 'resent', ...d }, `resent: ${deliveryLine(d)}`);
          return 0;
        }),
    )
    .command(
      'recover',
      'Send again every message that failed since a time, on a running mock (Svix recover)',
      (y) =>
        remoteOptions(y)
          .option('since', {
            type: 'string',
            requiresArg: true,
            default: '10m',
            describe: "An ISO time, or a span back from now on the mock's clock (10m, 2h)",
          })
          .option('endpoint', {
            type: 'string',
            requiresArg: true,
            describe: 'Only this endpoint (default: every one)',
          }),
      (args) =>
        remote(args, async (client) => {
          const { data: endpoints } = await client.call<{ data: { id: string; url: string }[] }>(
            'GET',
            '/_mock/endpoints',
          );
          const chosen = args.endpoint ? endpoints.filter((e) => e.id === args.endpoint) : endpoints;
          if (args.endpoint && chosen.length === 0)
            fail(`no endpoint ${args.endpoint} (pulse-mock messages lists them)`);
          for (const ep of chosen) {
            const r = await client.call<{ recovered: number }>(
              'POST',
              `/_mock/endpoints/${encodeURIComponent(ep.id)}/recover`,
              {
                since: args.since,
              },
            );
            client.line(
              { event: 'recovered', endpointId: ep.id, url: ep.url, recovered: r.recovered },
              `${ep.id} (${ep.url}): ${r.recovered} message(s) sent again`,
            );
          }
          return 0;
        }),
    )
    .command(
      'logs',
      "A running mock's request log and delivery log; --follow prints what happens next, until stopped",
      (y) =>
        remoteOptions(y)
          .option('follow', {
            alias: 'f',
            type: 'boolean',
            default: false,
            describe: 'Print new lines as they happen (only those)',
          })
          .option('requests', { type: 'boolean', describe: 'The API request log (default: both logs)' })
          .option('deliveries', { type: 'boolean', describe: 'The delivery log (default: both logs)' }),
      (args) =>
        remote(args, async (client, { deliveryLine, requestLine }) => {
          const both = args.requests === undefined && args.deliveries === undefined;
          const kinds = { requests: both || args.requests === true, deliveries: both || args.deliveries === true };
          if (args.follow) {
            const abort = new AbortController();
            process.once('SIGINT', () => abort.abort());
            process.once('SIGTERM', () => abort.abort());
            await client.stream(
              kinds,
              (event, data) => {
                if (event === 'request') client.line({ event, ...data }, requestLine(data));
                else if (event === 'delivery' && kinds.deliveries) client.line({ event, ...data }, deliveryLine(data));
                else if (event === 'job' && kinds.deliveries)
                  client.line(
                    { event, ...data },
                    `${String(data.at)}  job ${String(data.jobId)}: ${String(data.type)}`,
                  );
              },
              abort.signal,
            );
            return 0;
          }
          if (kinds.requests) {
            const { data } = await client.call<{ data: Record<string, unknown>[] }>('GET', '/_mock/requests');
            for (const r of data) client.line({ event: 'request', ...r }, requestLine(r));
          }
          if (kinds.deliveries) {
            const { data } = await client.call<{ data: Parameters<typeof deliveryLine>[0][] }>(
              'GET',
              '/_mock/messages',
            );
            for (const d of data) client.line({ event: 'delivery', ...d }, deliveryLine(d));
          }
          return 0;
        }),
    )
    .command(
      'jobs',
      "A running mock's jobs",
      (y) =>
        remoteOptions(y).option('status', {
          choices: ['pending', 'processing', 'completed', 'failed', 'canceled'] as const,
          describe: 'Only jobs in this status',
        }),
      (args) =>
        remote(args, async (client) => {
          const { data } = await client.call<{
            data: { id: string; kind: string; status: string; createdAt: string; error?: string | null }[];
          }>('GET', `/_mock/jobs${args.status ? `?status=${args.status}` : ''}`);
          for (const j of data)
            client.line(
              j,
              `${j.id}  ${j.kind.padEnd(8)} ${j.status.padEnd(10)} ${j.createdAt}${j.error ? `  ${j.error}` : ''}`,
            );
          return 0;
        }),
    )
    .command(
      'messages',
      "A running mock's webhook messages and their attempts",
      (y) => messageFilters(remoteOptions(y)),
      (args) =>
        remote(args, async (client, { deliveryLine }) => {
          const { data } = await client.call<{ data: Parameters<typeof deliveryLine>[0][] }>(
            'GET',
            `/_mock/messages${messageQuery(args)}`,
          );
          for (const d of data) client.line(d, deliveryLine(d));
          return 0;
        }),
    )
    .command(
      'export',
      "A running mock's delivery log with every attempt, secrets redacted: NDJSON or HAR",
      (y) =>
        messageFilters(remoteOptions(y))
          .option('format', {
            choices: ['ndjson', 'har'] as const,
            default: 'ndjson',
            describe: 'One message a line, or a HAR file',
          })
          .option('output', {
            alias: 'o',
            type: 'string',
            requiresArg: true,
            describe: 'Write to this file (default: stdout)',
          }),
      (args) =>
        remote(args, async (client, { exportLog, writeOut }) => {
          const { data } = await client.call<{ data: Parameters<typeof exportLog>[0] }>(
            'GET',
            `/_mock/messages${messageQuery(args)}`,
          );
          const { data: endpoints } = await client.call<{
            data: { secret?: string; previousSecrets?: { secret: string }[] }[];
          }>('GET', '/_mock/endpoints');
          const secrets = [
            ...(args['admin-token'] ? [args['admin-token']] : []),
            ...endpoints.flatMap((e) => [e.secret ?? '', ...(e.previousSecrets ?? []).map((p) => p.secret)]),
          ].filter(Boolean);
          writeOut(exportLog(data, args.format === 'har' ? 'har' : 'ndjson', secrets), args.output, client.write);
          return 0;
        }),
    )
    .command('scenario', 'List or run fault-injection scenarios against a webhook consumer', (y) =>
      y
        .command(
          'list',
          'The built-in scenarios, one a line with what each does',
          (l) => l.example('$0 scenario list', 'What scenarios there are'),
          async () => {
            // Loaded per command, so `start` does not pay for the scenario runner.
            const { listBuiltInScenarios, loadScenario } = await import('../scenarios/runner.js');
            for (const name of listBuiltInScenarios()) {
              const s = await loadScenario(name);
              process.stdout.write(`${name.padEnd(26)} ${s.description}\n`);
            }
          },
        )
        .command(
          'run [names..]',
          'Run scenarios against a webhook consumer; exit 0 when every assertion held',
          (r) =>
            targetOptions(r)
              .positional('names', {
                type: 'string',
                array: true,
                describe: 'built-in scenario names or scenario files (.ts/.js)',
              })
              .option('all', { type: 'boolean', describe: 'run every built-in scenario' })
              .example(
                '$0 scenario run happy-path bad-signatures --target http://localhost:3000/webhook --secret whsec_...',
                'Run two',
              )
              .example(
                '$0 scenario run --all --target http://localhost:3000/webhook --secret whsec_...',
                'Run them all',
              ),
          async (args) => {
            const { listBuiltInScenarios, loadScenario, runScenarios } = await import('../scenarios/runner.js');
            const { createReporter } = await import('../scenarios/reporters.js');
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
            await exitFlushed(results.every((r) => r.passed) ? 0 : 1);
          },
        )
        .demandCommand(1, 'Name a scenario command: pulse-mock scenario list, or pulse-mock scenario run'),
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
        await exitFlushed(report.passed ? 0 : 1);
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
    .recommendCommands()
    .fail((msg, err) => {
      // yargs reports usage mistakes as YError; anything else is a real failure to surface.
      if (err && err.name !== 'YError') throw err;
      // getOptions() is yargs' own (its docs list it), missing from @types/yargs: the keys known here.
      const known = unchecked<{ getOptions(): { key: Record<string, unknown> } }>(parser).getOptions().key;
      fail(`${msg ?? err?.message}${suggestion(msg, Object.keys(known))} (see pulse-mock --help)`);
    })
    .parseAsync();
}

/** Where the running mock is and how to print: the options of every command that talks to one. */
function remoteOptions<T>(y: Argv<T>) {
  return y
    .option('mock-url', {
      type: 'string',
      requiresArg: true,
      default: process.env.PULSE_MOCK_URL ?? 'http://127.0.0.1:4050',
      describe: 'The running mock [env PULSE_MOCK_URL]',
    })
    .option('admin-token', {
      type: 'string',
      requiresArg: true,
      describe: 'Its admin token, wanted when it listens beyond loopback [env PULSE_MOCK_ADMIN_TOKEN]',
    })
    .option('json', { type: 'boolean', default: false, describe: 'One JSON object per line, nothing else on stdout' });
}

function messageFilters<T>(y: Argv<T>) {
  return y
    .option('job', { type: 'string', requiresArg: true, describe: 'Only this job' })
    .option('event', { type: 'string', requiresArg: true, describe: 'Only this event type (job.completed, ...)' })
    .option('endpoint', { type: 'string', requiresArg: true, describe: 'Only this endpoint' })
    .option('status', {
      choices: ['pending', 'sending', 'retrying', 'succeeded', 'failed', 'dropped'] as const,
      describe: 'Only messages in this delivery status',
    });
}

function messageQuery(args: { job?: string; event?: string; endpoint?: string; status?: string }): string {
  const q = new URLSearchParams();
  if (args.job) q.set('jobId', args.job);
  if (args.event) q.set('eventType', args.event);
  if (args.endpoint) q.set('endpointId', args.endpoint);
  if (args.status) q.set('status', args.status);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Runs a command against a running mock: one line for what went wrong (exit 1), its code otherwise. */
async function remote(
  args: { 'mock-url': string; 'admin-token'?: string | undefined; json: boolean },
  run: (client: import('./remote.js').MockClient, lib: typeof import('./remote.js')) => Promise<number>,
): Promise<void> {
  const lib = await import('./remote.js');
  const token = args['admin-token'] ?? process.env.PULSE_MOCK_ADMIN_TOKEN;
  const client = new lib.MockClient({
    mockUrl: args['mock-url'],
    ...(token ? { adminToken: token } : {}),
    json: args.json,
  });
  try {
    await exitFlushed(await run(client, lib));
  } catch (e) {
    if (e instanceof lib.RemoteError) {
      process.stderr.write(`[pulse-mock] error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
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

/** "did you mean --port?" for a mistyped flag (`Unknown argument: prot`), by edit distance. */
function suggestion(message: string | undefined, known: string[]): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message ?? '')?.[1]?.split(', ') ?? [];
  const hints = unknown.flatMap((u) => {
    const best = known
      .filter((k) => k.length > 1 && !/[A-Z]/.test(k))
      .map((k) => [k, distance(u, k)] as const)
      .sort((a, b) => a[1] - b[1])[0];
    return best && best[1] <= Math.max(2, Math.floor(u.length / 3)) ? [`--${best[0]}`] : [];
  });
  return hints.length ? `; did you mean ${hints.join(', ')}?` : '';
}

/** A flag's value as written on the command line (`--port abc`, `--port=abc`). */
function rawFlag(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${flag}`) return argv[i + 1];
    if (argv[i]!.startsWith(`--${flag}=`)) return argv[i]!.slice(flag.length + 3);
  }
  return undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
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
