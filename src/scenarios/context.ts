import { awaitedDeadline, wallDelay, systemClock, SkippingClock } from '../clock.js';
import type { Runtime } from '../runtime.js';
import type { RequestRecord } from '../core/request-log.js';
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames } from '../delivery/signing.js';
import type { Delivery } from '../delivery/types.js';
import { TERMINAL_DELIVERY_STATES } from '../delivery/types.js';
import type { RunningServer } from '../server/start.js';
import type { ScenarioContext, SentEvent } from './define.js';
import type { ResolvedTarget } from './consumer-target.js';
import { settleEffects, type ConsumerEffects, type SettleOptions } from './effects.js';
import { sameStatus } from './effect-checks.js';
import { REJECTABLE_SIGNATURE_FAULTS } from '../faults/fault-engine.js';

export interface Assertion {
  message: string;
  passed: boolean;
  detail?: string;
}

/**
 * The wall time of each API call about a job, as it was made: the request log keeps mock time,
 * which a skipping clock runs ahead of the wall, and effects settle by the wall.
 */
export function apiActivity(runtime: Pick<Runtime, 'requests'>): {
  lastAbout: (jobId: string) => number;
  wallAt: (r: RequestRecord) => number | undefined;
  stop: () => void;
} {
  const last = new Map<string, number>();
  const at = new WeakMap<RequestRecord, number>();
  const stop = runtime.requests.onRecord((r) => {
    const now = systemClock.now();
    at.set(r, now);
    if (r.jobId === undefined) return;
    if (last.size > 100_000) last.clear();
    last.set(r.jobId, now);
  });
  return { lastAbout: (jobId) => last.get(jobId) ?? 0, wallAt: (r) => at.get(r), stop };
}

/** The context a scenario runs with, over a started mock aimed at the consumer. */
export function createContext(
  server: RunningServer,
  opts: {
    target: ResolvedTarget;
    secret: string;
    /** Reads a job's effects (the effects probe), and how to wait for them to settle. */
    effects?: { read: (jobId: string) => Promise<ConsumerEffects>; settle?: SettleOptions };
    /** Makes the consumer refuse connections until this time (the runner's transport obeys it). */
    setDownUntil?: (at: number) => void;
    onAssertion: (a: Assertion) => void;
    onLog: (m: string) => void;
    onCleanup: (fn: () => Promise<void>) => void;
  },
): ScenarioContext {
  const { mock, runtime } = server;
  const names = headerNames(server.config.headerPrefix);
  const clock = runtime.clock;
  // With a skipping clock (the scenario runner's and the check's), time skips ahead while a wait
  // is pending and nothing is in flight; with another clock, waits and sends are as they were.
  const skipping = clock instanceof SkippingClock ? clock : undefined;
  const drive = <T>(work: Promise<T>): Promise<T> => (skipping ? skipping.drive(work) : work);
  const activity = apiActivity(runtime);
  opts.onCleanup(async () => activity.stop());
  // The scenario's own API calls go straight into the app (fastify's injector): the same routes,
  // checks and request log as over a socket, without a client to load and a connection to open.
  const host = new URL(mock.url).host;
  const api = async (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await server.app.inject({
      method,
      url: path,
      headers: {
        host,
        'x-api-key': mock.apiKey,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    const json = res.json<Record<string, unknown>>();
    if (res.statusCode >= 400)
      throw new Error(`[pulse-mock] ${method} ${path} answered ${res.statusCode}: ${JSON.stringify(json)}`);
    return json;
  };
  // When the consumer last answered a delivery, per job: effects settle from there.
  let lastSendAnswer = 0;
  const lastAnswerFor = (jobId: string) =>
    Math.max(
      lastSendAnswer,
      ...runtime.dispatcher.log.list({ jobId }).flatMap((d) => d.attempts.map((a) => a.at + a.durationMs)),
    );
  const finished = (f: { jobId?: string; eventType?: string }) =>
    runtime.dispatcher.log.list(f).filter((d) => TERMINAL_DELIVERY_STATES.has(d.status) && d.duplicateOf === undefined);

  async function effects(jobId: string): Promise<ConsumerEffects | undefined> {
    if (!opts.effects) return undefined;
    const [settled] = (
      await drive(
        settleEffects(opts.effects.read, [jobId], lastAnswerFor(jobId), {
          ...opts.effects.settle,
          activityAt: activity.lastAbout,
        }),
      )
    ).values();
    if (settled?.error) throw new Error(`[pulse-mock] ${settled.error}`);
    return settled?.effects;
  }

  /** One request to the consumer, whatever kind it is; a failure to answer is kept, not thrown. */
  const post = async (
    messageId: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs = 10_000,
  ): Promise<SentEvent> => {
    const started = systemClock.now();
    const sent = { messageId, headers, body };
    const release = skipping ? skipping.hold() : () => {};
    try {
      const res = await opts.target.transport({ url: opts.target.url, headers, body, timeoutMs });
      return { ...sent, status: res.status, responseBody: res.body, durationMs: systemClock.now() - started };
    } catch (e) {
      return { ...sent, error: (e as Error).message, durationMs: systemClock.now() - started };
    } finally {
      release();
      lastSendAnswer = systemClock.now();
    }
  };

  return {
    api: { url: mock.url, apiKey: mock.apiKey },
    target: opts.target.url,
    secret: opts.secret,
    seed: mock.seed,
    badSignatures: REJECTABLE_SIGNATURE_FAULTS,
    async submitJob(o = {}) {
      const headers: Record<string, string> = {};
      if (o.outcome) headers['x-pulse-mock-outcome'] = o.outcome;
      if (o.processingMs !== undefined) headers['x-pulse-mock-processing-ms'] = String(o.processingMs);
      if (o.error) headers['x-pulse-mock-error'] = o.error;
      const r = await api(
        'POST',
        '/extract',
        { file_url: o.fileUrl ?? 'https://example.com/invoice.pdf', async: true },
        headers,
      );
      return r.job_id as string;
    },
    async cancelJob(jobId) {
      await api('DELETE', `/job/${encodeURIComponent(jobId)}`);
    },
    async send(type, data, o = {}): Promise<SentEvent> {
      const messageId = o.messageId ?? runtime.dispatcher.newMessageId();
      const timestamp = o.timestamp ?? Math.floor(systemClock.now() / 1000);
      const body = JSON.stringify({ type, timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), data });
      const secrets = o.secrets ?? [opts.secret];
      const signed = signDelivery(o.fault, { names, id: messageId, timestamp, body, secrets });
      const headers = { 'content-type': 'application/json', 'user-agent': 'pulse-mock (scenario)', ...signed.headers };
      return post(messageId, headers, signed.body, o.timeoutMs);
    },
    resend: (sent) => post(sent.messageId, sent.headers, sent.body),
    effects,
    async expectRecorded(jobId, want) {
      const e = await effects(jobId);
      if (!e) {
        opts.onLog(`what the consumer recorded for ${jobId} is not graded (no effects probe: pass --effects-url)`);
        return;
      }
      const { minActed: min, maxActed: max } = want;
      const range =
        min !== undefined && min === max
          ? `${min}`
          : [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ');
      opts.onAssertion({
        message: `the consumer recorded the job ${want.status}${range ? `, having acted ${range} time(s)` : ''}`,
        passed:
          sameStatus(e.status, want.status) &&
          (min === undefined || e.acted >= min) &&
          (max === undefined || e.acted <= max),
        detail: `its effects probe says status ${JSON.stringify(e.status)}, acted ${e.acted}`,
      });
    },
    setFaults(rules) {
      runtime.faults.set(rules);
    },
    async waitForDeliveries(filter, timeoutMs = 30_000): Promise<Delivery[]> {
      // Checked on every change of the delivery log, not on a timer.
      await drive(runtime.dispatcher.log.until(() => finished(filter).length >= filter.count, timeoutMs));
      return finished(filter);
    },
    deliveries: (f = {}) => runtime.dispatcher.log.list(f),
    requests: (f = {}) => runtime.requests.list(f),
    waitForRequest(test, timeoutMs = 10_000): Promise<RequestRecord | undefined> {
      const hit = runtime.requests.list().find(test);
      if (hit) return Promise.resolve(hit);
      return drive(
        new Promise<RequestRecord | undefined>((resolve) => {
          const timer = awaitedDeadline(() => {
            off();
            resolve(undefined);
          }, timeoutMs);
          const off = runtime.requests.onRecord((r) => {
            if (!test(r)) return;
            timer.cancel();
            off();
            resolve(r);
          });
        }),
      );
    },
    async simulateOutage(ms) {
      if (!opts.setDownUntil) throw new Error('[pulse-mock] simulateOutage needs the scenario runner');
      opts.setDownUntil(clock.now() + ms);
    },
    // Mock time: with the runner's skipping clock, as long as the mock and the consumer are busy.
    sleep: (ms) =>
      skipping
        ? drive(new Promise<void>((resolve) => skipping.setTimeout(resolve, Math.min(ms, 60_000))))
        : wallDelay(Math.min(ms, 60_000)),
    expect(condition, message, detail) {
      opts.onAssertion({ message, passed: condition, ...(detail !== undefined ? { detail } : {}) });
    },
    log: opts.onLog,
  };
}
