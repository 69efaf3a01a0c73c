import { awaitedDeadline } from './clock.js';
import { TERMINAL_STATUSES, type JobEventListener, type JobStatus } from './core/events.js';
import type { JobRecord } from './core/job-store.js';
import type { RequestRecord } from './core/request-log.js';
import { matchesFilter, type DeliveryFilter } from './delivery/delivery-log.js';
import type { Endpoint, EndpointInput } from './delivery/endpoints.js';
import { TERMINAL_DELIVERY_STATES, type Delivery } from './delivery/types.js';
import { ConfigError } from './config.js';
import { errors, PulseMockError } from './core/errors.js';
import type { FaultRule } from './faults/fault-plan.js';
import { parseFaultRules } from './faults/validate.js';
import type { Runtime } from './runtime.js';

/** Rules given in code are checked as the config file's are, and named as the caller wrote them. */
function checked(rules: readonly FaultRule[], where: string): FaultRule[] {
  try {
    return parseFaultRules(rules, where);
  } catch (e) {
    throw new ConfigError(`invalid ${(e as Error).message}`);
  }
}

/** A refusal the API would answer with a 4xx, thrown in code as a `[pulse-mock]` error. */
function inCode<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PulseMockError) throw errors.inCode(e);
    throw e;
  }
}

/** The key shown when none is configured (any non-empty key works then). */
export const PLACEHOLDER_API_KEY = 'pulse-mock-any-key';

/** The fault rules in force: the same rules as `--fault`, the config file's `faults` and `POST /_mock/faults`. */
export interface FaultControls {
  /** The rules in force, each with its id. */
  list(): FaultRule[];
  /** Replaces every rule. */
  set(rules: readonly FaultRule[]): void;
  /** Adds one rule and returns it with its id. */
  add(rule: FaultRule): FaultRule;
  /** Removes the rule with this id; false when there is none. */
  remove(id: string): boolean;
  /** Removes every rule. */
  clear(): void;
}

/** Webhook endpoints: where signed deliveries go. */
export interface EndpointControls {
  list(): Endpoint[];
  /** Adds an endpoint (its secret is generated when not given) and returns it. */
  add(input: EndpointInput): Endpoint;
  remove(id: string): void;
}

/** Which deliveries `messages()` and `waitForDelivery()` mean. */
export type MessageFilter = Pick<DeliveryFilter, 'jobId' | 'eventType' | 'endpointId' | 'status' | 'messageId'>;

/**
 * What a test sees and steers of a mock, the same whether it runs as a server
 * (`createPulseMock`, `startPulseMock`) or as msw handlers (`createPulseMsw`).
 */
export interface PulseMockControls {
  /** The key clients should send: the configured one, or a placeholder when any key is accepted. */
  readonly apiKey: string;
  /** The secret of endpoints that name none (`webhookSecret`, or generated). */
  readonly webhookSecret: string;
  /** The seed every generated id and value comes from: pass it back to replay a run. */
  readonly seed: number;
  /** Jobs the mock holds, oldest first, optionally by status. */
  jobs(filter?: { status?: JobStatus }): JobRecord[];
  /** The delivery log: one entry per message and endpoint, with its attempts. */
  messages(filter?: MessageFilter): Delivery[];
  /** What clients asked the API, oldest first (bounded), with the status each got. */
  requests(filter?: { route?: string; jobId?: string; method?: string }): RequestRecord[];
  readonly faults: FaultControls;
  readonly endpoints: EndpointControls;
  /** Calls `listener` with every job event (`job.created` ... `job.cancelled`); returns the unsubscribe. */
  onEvent(listener: JobEventListener): () => void;
  /** Resolves with the job once it has `status` (default: any final status), or rejects after `timeoutMs` of real time. */
  waitForJob(jobId: string, options?: { status?: JobStatus; timeoutMs?: number }): Promise<JobRecord>;
  /** Resolves with the first delivery matching `filter` to reach a final state, or rejects after `timeoutMs` of real time. */
  waitForDelivery(filter?: MessageFilter, timeoutMs?: number): Promise<Delivery>;
}

/** The controls over whatever runtime `rt()` returns now (msw's `reset()` swaps it). */
export function controlsOver(rt: () => Runtime, apiKey: string): PulseMockControls {
  return {
    apiKey,
    get webhookSecret() {
      return rt().webhookSecret;
    },
    get seed() {
      return rt().config.seed;
    },
    jobs: (filter = {}) => rt().core.jobs.list(filter),
    messages: (filter = {}) => rt().dispatcher.log.list(filter),
    requests: (filter = {}) => rt().requests.list(filter),
    faults: {
      list: () => rt().faults.list(),
      set: (rules) => rt().faults.set(checked(rules, 'faults')),
      add: (rule) => rt().faults.add(checked([rule], 'faults')[0]!),
      remove: (id) => rt().faults.remove(id),
      clear: () => rt().faults.set([]),
    },
    endpoints: {
      list: () => rt().endpoints.list(),
      add: (input) => inCode(() => rt().endpoints.add(input)),
      remove: (id) => inCode(() => rt().endpoints.delete(id)),
    },
    onEvent: (listener) => rt().core.onEvent(listener),
    waitForJob: (jobId, { status, timeoutMs = 10_000 } = {}) => {
      const core = rt().core;
      const reached = (s: JobStatus) => (status ? s === status : TERMINAL_STATUSES.has(s));
      const job = core.jobs.get(jobId);
      if (job && reached(job.status)) return Promise.resolve(job);
      return new Promise((resolve, reject) => {
        const off = core.onEvent((ev) => {
          const j = ev.jobId === jobId ? core.jobs.get(jobId) : undefined;
          if (!j || !reached(j.status)) return;
          off();
          timer.cancel();
          resolve(j);
        });
        const timer = awaitedDeadline(() => {
          off();
          reject(
            new Error(
              `[pulse-mock] job ${jobId} did not reach ${status ?? 'a final status'} within ${timeoutMs} ms; it is ${core.jobs.get(jobId)?.status ?? 'unknown to the mock'}`,
            ),
          );
        }, timeoutMs);
      });
    },
    waitForDelivery: (filter = {}, timeoutMs = 10_000) =>
      rt().dispatcher.waitFor((d) => TERMINAL_DELIVERY_STATES.has(d.status) && matchesFilter(d, filter), timeoutMs),
  };
}
