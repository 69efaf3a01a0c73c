import type { DocumentRule } from './core/documents.js';
import { awaitedDeadline } from './clock.js';
import { TERMINAL_STATUSES, type JobEventListener, type JobEventType, type JobStatus } from './core/events.js';
import { matchesFilter } from './delivery/delivery-log.js';
import type { EndpointInput } from './delivery/endpoints.js';
import { TERMINAL_DELIVERY_STATES } from './delivery/types.js';
import { deliveryView } from './delivery/views.js';
import {
  ControlService,
  jobView,
  type DeliveryView,
  type EndpointView,
  type FaultView,
  type JobView,
  type MessageFilter,
  type RequestView,
} from './control.js';
import { errors, PulseMockError } from './core/errors.js';
import type { FaultRule } from './faults/fault-plan.js';
import type { Runtime } from './runtime.js';

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
  /** The rules in force, each with its id and what it does in words. */
  list(): FaultView[];
  /** Replaces every rule. */
  set(rules: readonly FaultRule[]): FaultView[];
  /** Adds one rule and returns it with its id (at most 1,000 are in force, as through the admin API). */
  add(rule: FaultRule): FaultView;
  /** Removes the rule with this id; false when there is none. */
  remove(id: string): boolean;
  /** Removes every rule. */
  clear(): void;
}

/** Document rules added while running (the admin API's `/_mock/documents`, in code). */
export interface DocumentControls {
  /** The rules a user gave: those added (newest first), then the config's. */
  list(): DocumentRule[];
  /**
   * Adds a rule that wins over every other: what matching documents are and the facts they state.
   *
   * @example
   * pulse.documents.add({ match: '*invoice*', kind: 'invoice', facts: { total: 1200, customer_name: 'Ada Lovelace' } });
   */
  add(rule: DocumentRule): DocumentRule;
  /** Removes the rules added while running; the config's stay. */
  clear(): void;
}

/** Webhook endpoints: where signed deliveries go (the admin API's `/_mock/endpoints`, in code). */
export interface EndpointControls {
  list(): EndpointView[];
  get(id: string): EndpointView;
  /** Adds an endpoint (its secret is generated when not given) and returns it. */
  add(input: EndpointInput): EndpointView;
  update(id: string, patch: Partial<EndpointInput>): EndpointView;
  remove(id: string): void;
  /** A new signing secret; the old one keeps signing for `graceMs` (default `rotationGraceMs`). */
  rotateSecret(id: string, options?: { graceMs?: number; secret?: string }): EndpointView;
  /** Sends a made-up event (default `job.completed`) to this endpoint only. */
  test(id: string, eventType?: JobEventType): DeliveryView;
  /** Sends again every failed message of this endpoint since `since` (ISO; default: all). */
  recover(id: string, since?: string): DeliveryView[];
}

export type { MessageFilter };

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
  jobs(filter?: { status?: JobStatus }): JobView[];
  /** The delivery log: one entry per message and endpoint, with its attempts (as `GET /_mock/messages` shows it). */
  messages(filter?: MessageFilter): MessageView[];
  /** What clients asked the API, oldest first (bounded), with the status each got. */
  requests(filter?: { route?: string; jobId?: string; method?: string }): RequestView[];
  readonly faults: FaultControls;
  /** Document rules: what a document is and the facts it states (`/_mock/documents`). */
  readonly documents: DocumentControls;
  readonly endpoints: EndpointControls;
  /** Calls `listener` with every job event (`job.created` ... `job.cancelled`); returns the unsubscribe. */
  onEvent(listener: JobEventListener): () => void;
  /** Resolves with the job once it has `status` (default: any final status), or rejects after `timeoutMs` of real time. */
  waitForJob(jobId: string, options?: { status?: JobStatus; timeoutMs?: number }): Promise<JobView>;
  /** Resolves with the first delivery matching `filter` to reach a final state, or rejects after `timeoutMs` of real time. */
  waitForDelivery(filter?: MessageFilter, timeoutMs?: number): Promise<MessageView>;
}

/**
 * A delivery as `messages()` gives it: the admin API's view, plus, until 0.5, the names 0.3 used
 * (`messageId` for `id`, `key` for `deliveryId`), readable but not enumerated.
 */
export type MessageView = DeliveryView & {
  /** @deprecated Use `id`. */
  readonly messageId: string;
  /** @deprecated Use `deliveryId`. */
  readonly key: string;
};

function messageView(d: DeliveryView): MessageView {
  return Object.defineProperties(d, {
    messageId: { get: () => d.id, enumerable: false },
    key: { get: () => d.deliveryId, enumerable: false },
  }) as MessageView;
}

/** The controls over whatever runtime `rt()` returns now (msw's `reset()` swaps it): bindings over the one `ControlService`. */
export function controlsOver(rt: () => Runtime, apiKey: string): PulseMockControls {
  const control = new ControlService(rt);
  return {
    apiKey,
    get webhookSecret() {
      return rt().webhookSecret;
    },
    get seed() {
      return rt().config.seed;
    },
    jobs: (filter = {}) => control.jobs(filter),
    messages: (filter = {}) => control.messages.list(filter).map(messageView),
    requests: (filter = {}) => control.requests(filter),
    documents: {
      list: () => control.documents.list(),
      add: (rule) => inCode(() => control.documents.add(rule, 'documents.add')),
      clear: () => control.documents.clear(),
    },
    faults: {
      list: () => control.faults.list(),
      set: (rules) => inCode(() => control.faults.set(rules, 'faults')),
      add: (rule) => inCode(() => control.faults.add(rule, 'faults')),
      remove: (id) => control.faults.remove(id),
      clear: () => control.faults.clear(),
    },
    endpoints: {
      list: () => control.endpoints.list(),
      get: (id) => inCode(() => control.endpoints.get(id)),
      add: (input) => inCode(() => control.endpoints.add(input)),
      update: (id, patch) => inCode(() => control.endpoints.update(id, patch)),
      remove: (id) => inCode(() => control.endpoints.remove(id)),
      rotateSecret: (id, options) => inCode(() => control.endpoints.rotateSecret(id, options)),
      test: (id, eventType) => inCode(() => control.endpoints.test(id, eventType)),
      recover: (id, since) => inCode(() => control.endpoints.recover(id, since)),
    },
    onEvent: (listener) => rt().core.onEvent(listener),
    waitForJob: (jobId, { status, timeoutMs = 10_000 } = {}) => {
      const core = rt().core;
      const reached = (s: JobStatus) => (status ? s === status : TERMINAL_STATUSES.has(s));
      const job = core.jobs.get(jobId);
      if (job && reached(job.status)) return Promise.resolve(jobView(job));
      return new Promise((resolve, reject) => {
        const off = core.onEvent((ev) => {
          const j = ev.jobId === jobId ? core.jobs.get(jobId) : undefined;
          if (!j || !reached(j.status)) return;
          off();
          timer.cancel();
          resolve(jobView(j));
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
    waitForDelivery: async (filter = {}, timeoutMs = 10_000) =>
      messageView(
        deliveryView(
          await rt().dispatcher.waitFor(
            (d) => TERMINAL_DELIVERY_STATES.has(d.status) && matchesFilter(d, filter),
            timeoutMs,
          ),
          rt().config.headerPrefix,
        ),
      ),
  };
}
