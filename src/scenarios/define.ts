import type { RequestRecord } from '../core/request-log.js';
import type { Delivery } from '../delivery/types.js';
import type { FaultRule, SignatureFault } from '../faults/fault-plan.js';
import type { PulseMockOptions } from '../index.js';
import type { ConsumerEffects } from './effects.js';

/**
 * A scenario: a scripted attack on a webhook consumer, run against its URL with
 * `pulse-mock scenario run`. Scripts live in `scenarios/*.ts`, one each:
 *
 * @example
 * export default defineScenario({
 *   name: 'happy-path',
 *   description: 'One job, every event delivered and acknowledged',
 *   async run(ctx) {
 *     const jobId = await ctx.submitJob();
 *     const ds = await ctx.waitForDeliveries({ jobId, count: 3 });
 *     ctx.expect(ds.every((d) => d.status === 'succeeded'), 'every event acknowledged with a 2xx');
 *   },
 * });
 */
export interface Scenario {
  name: string;
  description: string;
  /** Mock settings for this scenario (job timing, retry schedule, faults). */
  mock?: Partial<PulseMockOptions>;
  /** Upper bound for the whole run (real ms); default 60 s. */
  timeoutMs?: number;
  /**
   * Why this scenario must wait in real time, if it must (the consumer's own waits, such as a
   * Retry-After it is asked to honour). Everything else waits on events and mock time, which
   * skips ahead while the mock and the consumer are idle; the result's `idleMs` is that wait.
   */
  realDelay?: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/**
 * A fault-injection scenario for `pulse-mock scenario run`: what it does to a consumer and what
 * it expects of it.
 *
 * @example
 * export default defineScenario({
 *   name: 'late-duplicate',
 *   description: 'job.completed arrives twice, an hour apart',
 *   async run(ctx) {
 *     const jobId = await ctx.submitJob();
 *     // ... send events with ctx, then ctx.expect(...) what the consumer did ...
 *   },
 * });
 */
export function defineScenario(s: Scenario): Scenario {
  return s;
}

export interface SentEvent {
  messageId: string;
  /** The request as sent: `resend` sends these same bytes again. */
  headers: Record<string, string>;
  body: string;
  /** The consumer's HTTP status; undefined when it did not answer. */
  status?: number;
  error?: string;
  durationMs: number;
  responseBody?: string;
}

export interface SendOptions {
  /** Break the signature this way. */
  fault?: SignatureFault;
  /** Reuse a message id (a duplicate or a replay). */
  messageId?: string;
  /** Unix seconds to sign with (a replay of an old message). */
  timestamp?: number;
  /** Sign with these secrets instead (e.g. [new, old] as during a rotation). */
  secrets?: string[];
  /** Real ms to wait for the consumer's answer (default 10 s). */
  timeoutMs?: number;
}

export interface ScenarioContext {
  /** Where the consumer should call the Pulse API (this mock). */
  api: { url: string; apiKey: string };
  target: string;
  secret: string;
  seed: number;
  /** Every kind of bad signature a correct verifier must reject (for `send(..., { fault })`). */
  badSignatures: readonly SignatureFault[];
  submitJob(opts?: {
    outcome?: 'completed' | 'failed';
    processingMs?: number;
    fileUrl?: string;
    error?: string;
  }): Promise<string>;
  cancelJob(jobId: string): Promise<void>;
  /** Sends one signed event straight to the consumer (no retries) and returns its answer. */
  send(type: string, data: Record<string, unknown>, opts?: SendOptions): Promise<SentEvent>;
  /** Sends an earlier request again, byte for byte (a duplicate, or a replay once `at` is past). */
  resend(sent: SentEvent): Promise<SentEvent>;
  /**
   * What the consumer did about a job, once its effects settled (unchanged 300 ms after its last
   * answer, or the effects timeout): through the effects probe (`--effects-url`, or `effects`
   * in-process); undefined without one, so a scenario can say it did not grade.
   */
  effects(jobId: string): Promise<ConsumerEffects | undefined>;
  /**
   * Asserts what the consumer recorded for a job once its effects settled: its status (as GET
   * /job spells it; "cancelled" matches "canceled") and how many times it acted. Without an
   * effects probe it asserts nothing and logs that the final state was not graded.
   */
  expectRecorded(jobId: string, want: { status: string; minActed?: number; maxActed?: number }): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  /** Resolves with `count` finished deliveries matching the filter (bounded by `timeoutMs`). */
  waitForDeliveries(
    filter: { jobId?: string; eventType?: string; count: number },
    timeoutMs?: number,
  ): Promise<Delivery[]>;
  deliveries(filter?: { jobId?: string; eventType?: string }): Delivery[];
  /** The mock's API request log: what the consumer called. */
  requests(filter?: { route?: string; jobId?: string; method?: string }): RequestRecord[];
  /** Resolves with the first request matching `test`, or undefined after `timeoutMs`. */
  waitForRequest(test: (r: RequestRecord) => boolean, timeoutMs?: number): Promise<RequestRecord | undefined>;
  /** The consumer refuses connections for `ms` of mock time, then takes deliveries again. */
  simulateOutage(ms: number): Promise<void>;
  /**
   * Lets `ms` of mock time pass (the mock's jobs, retries and fault timers fire): under the
   * scenario runner it takes only as long as the mock and the consumer are busy. To give the
   * consumer real time, wait for what it does instead (`waitForRequest`, `effects`).
   */
  sleep(ms: number): Promise<void>;
  /** Records an assertion; the run goes on, and the scenario fails if any assertion failed. */
  expect(condition: boolean, message: string, detail?: string): void;
  log(message: string): void;
}
