import { errors } from './core/errors.js';
import { scaledClock, systemClock, type Clock } from './clock.js';
import { ConfigError, type MockConfig } from './config.js';
import { apiRouteNames } from './api/routes.js';
import { checkFaultRoutes } from './faults/validate.js';
import { canonicalPins } from './core/pins.js';
import { Replayer } from './recording/replayer.js';
import type { DocumentKind } from './core/documents.js';
import { PulseCore } from './core/pulse-core.js';
import { BUILT_IN_OPERATIONS, builtInOperations } from './operations/index.js';
import { checkPresets, type OperationInstances } from './operations/operation.js';
import { RequestLog } from './core/request-log.js';
import { FaultEngine } from './faults/fault-engine.js';
import { endpointEntry, jobEntries, StateJournal, type JournalHealth, type RestoredState } from './state-journal.js';
import { IdSequence, seedFrom } from './core/random.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { EndpointRegistry } from './delivery/endpoints.js';
import { RetrySchedule } from './delivery/retry-schedule.js';
import { generateSecret } from './delivery/signing.js';
import type { Transport } from './delivery/transport.js';
import type { Attempt, Delivery } from './delivery/types.js';
import { VERSION } from './version.js';

/**
 * The mock without any adapter: the job core, the webhook endpoints and the dispatcher wired
 * so that every job event becomes a delivery. The fastify app and the msw handlers each sit on
 * one of these.
 */
export interface Runtime {
  config: MockConfig;
  core: PulseCore;
  /** The operations' instances by kind, registered with the core. */
  operations: OperationInstances;
  /** The names of the API routes it serves, which fault rules may scope to. */
  routeNames: readonly string[];
  endpoints: EndpointRegistry;
  dispatcher: Dispatcher;
  faults: FaultEngine;
  requests: RequestLog;
  /** The secret used by endpoints that name none (generated when not configured). */
  webhookSecret: string;
  /** What `--state` brought back at start, if a state file is in use. */
  restored?: RestoredState;
  /** Recorded exchanges to answer with (`--recordings`). */
  replayer?: Replayer;
  /** Whether `--state` is being written (absent without a state file). */
  journalHealth?: () => JournalHealth;
  clock: Clock;
  close(): { pending: number; sending: number };
}

export interface RuntimeOptions {
  /** Mock time; defaults to the system clock scaled by `config.timeScale`. */
  clock?: Clock;
  /** Wall time for signature timestamps and delivery timeouts. */
  wallClock?: Clock;
  transport?: Transport;
  onAttempt?: (d: Delivery, a: Attempt) => void;
  /** Problems writing `--state` (the first failure, the recovery), one line each. */
  onJournalProblem?: (line: string) => void;
}

/** The longest one submission waits for the webhook backlog to shrink. */
const BACKLOG_WAIT_MS = 10_000;

/** A document rule that names its kind has its facts checked at start: a typo stops the start, not a test. */
function checkDocumentFacts(rules: readonly { kind?: string; facts?: Record<string, unknown> }[]): void {
  rules.forEach((rule, i) => {
    if (!rule.kind || !rule.facts) return;
    try {
      canonicalPins(rule.kind as DocumentKind, rule.facts, `documents[${i}].facts`);
    } catch (e) {
      throw new ConfigError(`invalid ${(e as Error).message.replace(/\.$/, '')}`);
    }
  });
}

export function createRuntime(config: MockConfig, opts: RuntimeOptions = {}): Runtime {
  // What the operations declare is checked here, not when the config is read (that loads no
  // operation): before anything is opened, so a bad preset or fault route stops the start.
  checkPresets(config.presets, BUILT_IN_OPERATIONS);
  checkDocumentFacts(config.documents);
  const routeNames = apiRouteNames();
  try {
    checkFaultRoutes(config.faults, routeNames);
  } catch (e) {
    throw new ConfigError(`invalid ${(e as Error).message}`);
  }
  const clock = opts.clock ?? (config.timeScale === 1 ? systemClock : scaledClock(config.timeScale));
  const opened = config.state ? StateJournal.open(config.state) : undefined;
  const restored = opened?.restored;
  const core = new PulseCore(
    {
      seed: config.seed,
      ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}),
      processingMs: config.processingMs,
      queueMs: config.queueMs,
      failureRate: config.failureRate,
      maxJobs: config.maxJobs,
      asyncStatusCode: config.asyncStatusCode,
      outcomes: config.outcomes,
      documents: config.documents,
      presets: config.presets,
      outputDir: config.outputDir,
      s3PrefixItems: config.s3PrefixItems,
    },
    clock,
    restored?.starts ?? 0,
  );
  const operations = builtInOperations(core);
  const endpoints = new EndpointRegistry(
    clock,
    new IdSequence(`${config.seed}/endpoints/${restored?.starts ?? 0}`),
    config.maxEndpoints,
  );
  for (const ep of restored?.endpoints ?? []) endpoints.restore(ep);
  // A restart keeps the secret the consumer already has.
  const webhookSecret =
    config.webhookSecret ??
    restored?.endpoints.find((e) => e.description === 'from --webhook-url')?.secrets[0]?.secret ??
    generateSecret();
  const known = new Set(endpoints.list().map((e) => e.url));
  for (const url of config.webhookUrl)
    if (!known.has(url))
      endpoints.add({
        url,
        secret: webhookSecret,
        description: 'from --webhook-url',
        ...(config.webhookEvents.length ? { eventTypes: config.webhookEvents } : {}),
      });
  for (const ep of config.endpoints)
    if (!known.has(ep.url)) endpoints.add({ ...ep, secret: ep.secret ?? webhookSecret });

  const faults = new FaultEngine(seedFrom(config.seed, 'faults'), config.faults);
  const dispatcher = new Dispatcher({
    faults,
    clock,
    ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
    endpoints,
    schedule: new RetrySchedule(config.retrySchedule),
    retryJitter: config.retryJitter,
    timeoutMs: config.deliveryTimeoutMs,
    headerPrefix: config.headerPrefix,
    concurrency: config.deliveryConcurrency,
    userAgent: `pulse-mock/${VERSION} (webhook delivery; Svix-compatible)`,
    seed: seedFrom(config.seed, 'message-ids'),
    // Room for each kept job's three events plus duplicates and manual sends; the oldest
    // finished deliveries go first, so they leave with their jobs.
    maxDeliveries: Math.max(1000, config.maxJobs * 4),
    ...(opts.transport ? { transport: opts.transport } : {}),
    ...(opts.onAttempt ? { onAttempt: opts.onAttempt } : {}),
  });
  if (opened && restored) {
    const { journal } = opened;
    journal.record(endpoints.list().map((ep) => endpointEntry(ep.id, ep)));
    for (const d of restored.deliveries) dispatcher.restore(d);
    // A job of a kind this version does not know stays in the file, and is counted, not run.
    const unknownKind = restored.jobs.filter((job) => !core.restoreJob(job));
    restored.unknownKindJobs = unknownKind.length;
    // A change a request makes is written first and refused if it cannot be; any other is
    // applied, and a failed write is retried as a snapshot of all this.
    journal.snapshot = () => ({
      jobs: [...unknownKind, ...core.jobs.list()],
      endpoints: endpoints.list(),
      deliveries: dispatcher.log.list(),
    });
    if (opts.onJournalProblem) journal.onProblem = opts.onJournalProblem;
    endpoints.onChange = (id, ep, byRequest) =>
      byRequest ? journal.write([endpointEntry(id, ep)]) : journal.record([endpointEntry(id, ep)]);
    dispatcher.log.onChange = (d) => journal.record([{ k: 'delivery', d }]);
    core.onRecord((jobs, isNew, byRequest) =>
      byRequest ? journal.write(jobEntries(jobs, isNew)) : journal.record(jobEntries(jobs, isNew)),
    );
  }
  // The event itself, not a copy: its payload is built only if an endpoint takes it.
  core.onEvent((e) => dispatcher.publish(e));
  // Backpressure: when jobs are submitted faster than their webhooks can go out, the queue of
  // deliveries (about 1 KB each) would grow without bound. Past `maxBacklog` a submission waits
  // for the queue to fall back to 80% of it, at most BACKLOG_WAIT_MS, and is then accepted anyway:
  // nothing is refused or dropped, and a consumer that is merely down (its deliveries wait for a
  // retry, not in the queue) never slows the API.
  // And a hard bound: past `maxPending` unfinished deliveries (waiting retries included, which the
  // backlog does not count: 2,000 endpoints of a consumer that is down made a million), an async
  // submission is refused with 503 and Retry-After. What was accepted is still delivered.
  const below = Math.max(1, Math.floor(config.maxBacklog * 0.8));
  core.beforeSubmit = () => {
    const unfinished = dispatcher.log.unfinished;
    if (unfinished >= config.maxPending) throw errors.backlogFull(unfinished, config.maxPending);
    return config.maxBacklog > 0 && dispatcher.backlog >= config.maxBacklog
      ? dispatcher.roomFor(below, BACKLOG_WAIT_MS)
      : undefined;
  };

  // Loaded before anything listens: a bad recording stops the start with one line.
  const replayer = config.recordings ? Replayer.load(config.recordings, config.recordingsStrict) : undefined;
  if (replayer) core.replayIds = (recorded, fresh) => replayer.rewrite(recorded, fresh);

  return {
    config,
    core,
    operations,
    routeNames,
    ...(replayer ? { replayer } : {}),
    endpoints,
    dispatcher,
    faults,
    requests: new RequestLog(),
    webhookSecret,
    ...(restored ? { restored } : {}),
    ...(opened ? { journalHealth: () => opened.journal.health() } : {}),
    clock,
    close() {
      core.close();
      endpoints.close();
      opened?.journal.close();
      return dispatcher.close();
    },
  };
}
