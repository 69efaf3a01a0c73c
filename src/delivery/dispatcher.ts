import { awaitedDeadline, systemClock, type Clock, type Timer } from '../clock.js';
import { errors } from '../core/errors.js';
import { DeliveryLog } from './delivery-log.js';
import type { Endpoint, EndpointRegistry } from './endpoints.js';
import { decideAttempt, jitterDraw } from './attempt-policy.js';
import { ReorderHolds, shapeDelivery } from './fault-shaping.js';
import { EndpointLanes } from './lanes.js';
import type { RetrySchedule } from './retry-schedule.js';
import type { FaultEngine } from '../faults/fault-engine.js';
import { signDelivery } from './signature-faults.js';
import { headerNames, messageId, type HeaderPrefix } from './signing.js';
import { DeliveryTimeoutError, httpTransport, type Transport } from './transport.js';
import { TERMINAL_DELIVERY_STATES, type Attempt, type AttemptTrigger, type Delivery } from './types.js';

export interface DispatcherOptions {
  /** Mock time: retry delays run on it (scaled or manual in tests). */
  clock: Clock;
  /** Wall time: signature timestamps and the delivery timeout, since receivers live in real time. */
  wallClock?: Clock;
  endpoints: EndpointRegistry;
  schedule: RetrySchedule;
  timeoutMs: number;
  headerPrefix: HeaderPrefix;
  /** Attempts in flight per endpoint; a slow endpoint only queues its own deliveries. */
  concurrency: number;
  userAgent: string;
  /** Message ids of job events and retry jitter derive from this, so they do not depend on timing. */
  seed?: number;
  /** How far a retry's delay may stray either way, 0..0.5 (`--retry-jitter`); none when omitted. */
  retryJitter?: number;
  transport?: Transport;
  maxDeliveries?: number;
  /** Injected faults (drop, delay, duplicate, reorder, bad signatures). */
  faults?: FaultEngine;
  onAttempt?: (d: Delivery, a: Attempt) => void;
}

export interface PublishedEvent {
  type: string;
  payload: unknown;
  jobId?: string;
}

type Waiter = { test: (d: Delivery) => boolean; resolve: (d: Delivery) => void };

/** Shared by every delivery without faults (most of them); replaced, never mutated. */
const NO_FAULTS: readonly string[] = Object.freeze([]);

/**
 * A flat copy of `s`. V8 returns JSON.stringify's output and template literals as ropes (trees
 * of fragments, each a heap object); a log of hundreds of thousands of bodies and keys kept
 * every fragment alive, about a third of the heap in the 100k-job benchmark.
 */
function flatString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * Delivers every published event to each matching endpoint, signed, at least once, with
 * Svix's retry semantics. Each delivery is always in exactly one state; `close()` reports
 * what was still under way. The parts are each their own module: the per-endpoint lanes and
 * backlog (`lanes.ts`), what an attempt's answer means (`attempt-policy.ts`), how faults shape
 * a delivery (`fault-shaping.ts`) and the admin view of one (`views.ts`); this class runs them.
 */
export class Dispatcher {
  readonly log: DeliveryLog;
  readonly #o: Required<Omit<DispatcherOptions, 'onAttempt' | 'maxDeliveries' | 'faults' | 'seed' | 'retryJitter'>> &
    Pick<DispatcherOptions, 'onAttempt' | 'faults' | 'seed' | 'retryJitter'>;
  /** Deliveries held by a reorder fault, by `${jobId}/${endpointId}`. */
  readonly #held: ReorderHolds<Delivery>;
  /** When the last attempt started (wall ms): each starts strictly later. */
  #lastStart = 0;
  #lastResponseHeaders = '';
  readonly #lanes: EndpointLanes<{ d: Delivery; trigger: AttemptTrigger }>;
  readonly #timers = new Map<string, Timer>();
  readonly #fixed = new WeakMap<Endpoint, Record<string, string>>();
  #waiters: Waiter[] = [];
  #closed = false;
  /** Numbers the messages that are not a job's event, for their ids. */
  #sequence = 0;

  constructor(options: DispatcherOptions) {
    this.#o = { wallClock: systemClock, transport: httpTransport, ...options };
    this.log = new DeliveryLog(options.maxDeliveries ?? 1_000_000);
    this.#lanes = new EndpointLanes(
      this.#o.concurrency,
      ({ d, trigger }) => this.#attempt(d, trigger),
      ({ d }, e) => this.#finish(d, 'failed', `internal error in pulse-mock: ${(e as Error).message}`),
      this.#o.wallClock,
    );
    this.#held = new ReorderHolds(this.#o.clock, (d, early) => {
      if (early) d.nextAttemptAt = undefined; // released now, not at the hold's deadline
      this.#enqueue(d, 'scheduled');
    });
  }

  /**
   * A message id. For a job's event (`stableKey`) it derives from the seed and that key, so the
   * same run gives the same ids whatever the timing; other messages are numbered in order.
   */
  newMessageId(stableKey?: string): string {
    return messageId(this.#o.seed, stableKey ?? `message #${++this.#sequence}`);
  }

  /** One message for the event, delivered to every endpoint that takes its type. */
  publish(event: PublishedEvent, only?: readonly Endpoint[]): Delivery[] {
    const endpoints = only ?? this.#o.endpoints.matching(event.type);
    if (endpoints.length === 0) return [];
    // A job emits each event type once in its life, so (job, type) names the message.
    const messageId = this.newMessageId(event.jobId !== undefined ? `${event.jobId}/${event.type}` : undefined);
    const body = flatString(JSON.stringify(event.payload));
    const out: Delivery[] = [];
    for (const ep of endpoints) {
      const d = this.#newDelivery(flatString(`${messageId}/${ep.id}`), messageId, ep, event, body);
      out.push(d);
      const decision = this.#o.faults?.active
        ? this.#o.faults.forDelivery({ eventType: event.type, endpointId: ep.id, key: d.key })
        : undefined;
      if (!decision || decision.applied.length === 0) {
        this.#enqueue(d, 'scheduled');
        continue;
      }
      d.faults = [...d.faults, ...decision.applied];
      const plan = shapeDelivery(decision, d.jobId !== undefined);
      if ('drop' in plan) {
        this.#finish(d, 'dropped', plan.drop);
        continue;
      }
      if (plan.holdMs !== undefined) {
        this.#held.hold(`${d.jobId}/${d.endpointId}`, d, plan.holdMs);
        d.nextAttemptAt = this.#o.clock.now() + plan.holdMs;
      } else this.#enqueueAfter(d, plan.delayMs);
      plan.copies.forEach((c, i) => {
        const copy = this.#newDelivery(`${d.key}#dup${i + 1}`, messageId, ep, event, body);
        copy.duplicateOf = d.key;
        copy.faults = [...copy.faults, c.note];
        this.#enqueueAfter(copy, c.delayMs);
      });
    }
    return out;
  }

  /**
   * Every field is set here, in one order, and later cleared with `undefined` rather than
   * `delete`: a deleted property turns a V8 object into a hash table several times its size,
   * and the log holds hundreds of thousands of these.
   */
  #newDelivery(key: string, messageId: string, ep: Endpoint, event: PublishedEvent, body: string): Delivery {
    const d: Delivery = {
      key,
      messageId,
      endpointId: ep.id,
      url: ep.url,
      eventType: event.type,
      jobId: event.jobId,
      body,
      status: 'pending',
      attempts: [],
      scheduledAttempts: 0,
      createdAt: this.#o.clock.now(),
      nextAttemptAt: undefined,
      dueAt: undefined,
      queuedAt: undefined,
      finishedAt: undefined,
      reason: undefined,
      faults: NO_FAULTS,
      duplicateOf: undefined,
    };
    this.log.add(d);
    return d;
  }

  #enqueueAfter(d: Delivery, delayMs: number): void {
    if (delayMs <= 0) return this.#enqueue(d, 'scheduled');
    this.#scheduleAttempt(d, delayMs);
  }

  /** The next attempt of `d` in `delayMs` of mock time (one timer per delivery, cancelled by close). */
  #scheduleAttempt(d: Delivery, delayMs: number): void {
    d.nextAttemptAt = this.#o.clock.now() + delayMs;
    if (this.#closed) return;
    this.#timers.set(
      d.key,
      this.#o.clock.setTimeout(() => {
        this.#timers.delete(d.key);
        this.#enqueue(d, 'scheduled');
      }, delayMs),
    );
  }

  /** Puts back a delivery read from the state file; an unfinished one is scheduled again (at least once). */
  restore(d: Delivery): void {
    const unfinished = d.status === 'pending' || d.status === 'sending';
    if (unfinished) d.status = 'pending';
    this.log.add(d);
    if (!unfinished) return;
    const wait = Math.max(0, (d.nextAttemptAt ?? 0) - this.#o.clock.now());
    d.nextAttemptAt = undefined;
    this.#enqueueAfter(d, wait);
  }

  /** Sends the message again to its endpoints (or one), one attempt each, keeping its id. */
  resend(messageId: string, endpointId?: string): Delivery[] {
    const all = this.log.byMessage(messageId).filter((d) => endpointId === undefined || d.endpointId === endpointId);
    if (all.length === 0) throw errors.messageNotFound(messageId, endpointId);
    for (const d of all) this.#manual(d, 'resend');
    return all;
  }

  /** Sends again every failed delivery of an endpoint created at or after `since`. */
  recover(endpointId: string, since: number): Delivery[] {
    this.#o.endpoints.require(endpointId);
    const failed = this.log.list({ endpointId, status: 'failed' }).filter((d) => d.createdAt >= since);
    for (const d of failed) this.#manual(d, 'recover');
    return failed;
  }

  /** Resolves when a delivery matching `test` reaches a final state (or rejects after `timeoutMs` of real time). */
  waitFor(test: (d: Delivery) => boolean, timeoutMs = 10_000): Promise<Delivery> {
    const done = this.log.list().find((d) => TERMINAL_DELIVERY_STATES.has(d.status) && test(d));
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { test, resolve };
      this.#waiters.push(waiter);
      const timer = awaitedDeadline(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`[pulse-mock] no matching delivery finished within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter.resolve = (d) => {
        timer.cancel();
        resolve(d);
      };
    });
  }

  /**
   * How many deliveries are due and waiting for a free slot (not those in flight, nor those
   * waiting for a retry). It grows when events come faster than the endpoints take them.
   */
  get backlog(): number {
    return this.#lanes.backlog;
  }

  /** Resolves once the backlog is under `below`, or after `timeoutMs` of real time, whichever is first. */
  roomFor(below: number, timeoutMs: number): Promise<void> {
    return this.#lanes.roomFor(below, timeoutMs);
  }

  /** Stops scheduling; reports deliveries still pending or in flight (they stay in the log as such). */
  close(): { pending: number; sending: number } {
    this.#closed = true;
    this.#lanes.close();
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#held.close();
    const c = this.log.counts();
    return { pending: c.pending, sending: c.sending };
  }

  #manual(d: Delivery, trigger: AttemptTrigger): void {
    if (d.status === 'sending' || d.status === 'pending') return; // already on its way
    d.reason = undefined;
    d.finishedAt = undefined;
    this.log.setStatus(d, 'pending');
    this.#enqueue(d, trigger);
  }

  #enqueue(d: Delivery, trigger: AttemptTrigger): void {
    if (this.#closed) return;
    d.queuedAt = this.#o.clock.now();
    d.dueAt = d.nextAttemptAt ?? d.queuedAt;
    d.nextAttemptAt = undefined;
    this.#lanes.push(d.endpointId, { d, trigger });
  }

  async #attempt(d: Delivery, trigger: AttemptTrigger): Promise<void> {
    const ep = this.#o.endpoints.get(d.endpointId);
    if (!ep) return this.#finish(d, 'failed', 'endpoint was deleted');
    if (ep.disabled) return this.#finish(d, 'failed', `endpoint is disabled (${ep.disabledReason ?? 'disabled'})`);
    this.log.setStatus(d, 'sending');
    const wall = this.#o.wallClock;
    const timestamp = Math.floor(wall.now() / 1000);
    const names = headerNames(this.#o.headerPrefix);
    const only = ep.secrets.length === 1 ? ep.secrets[0] : undefined;
    const secrets =
      only && only.expiresAt === undefined
        ? [only.secret]
        : ep.secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > this.#o.clock.now()).map((s) => s.secret);
    const sigFault = this.#o.faults?.active
      ? this.#o.faults.forAttempt({
          eventType: d.eventType,
          endpointId: d.endpointId,
          key: `${d.key}/${d.attempts.length + 1}`,
        })
      : undefined;
    // A copy of the endpoint's fixed headers, then the signature's (which win over a custom one).
    const headers = Object.assign({}, this.#fixedHeaders(ep));
    const signed = signDelivery(
      sigFault?.variant,
      { names, id: d.messageId, timestamp, body: d.body, secrets },
      headers,
    );

    // Strictly increasing, so attempts sort in the order they were made even within one
    // millisecond (a scenario's skipping clock sends a whole lifecycle in less).
    const started = (this.#lastStart = Math.max(wall.now(), this.#lastStart + 0.001));
    const attempt: Attempt = {
      n: d.attempts.length + 1,
      trigger,
      dueAt: d.dueAt ?? this.#o.clock.now(),
      queuedAt: d.queuedAt ?? this.#o.clock.now(),
      at: started,
      durationMs: 0,
      timestamp,
      // Every field present from the start (one compact shape for all attempts).
      status: undefined,
      responseBody: undefined,
      error: undefined,
      retryInMs: undefined,
      fault: sigFault?.explanation,
      signature: sigFault ? undefined : headers[names.signature],
      sent: sigFault ? sentSignature(headers, names) : undefined,
      responseHeaders: undefined,
    };
    if (trigger === 'scheduled') d.scheduledAttempts++;
    let response: Awaited<ReturnType<Transport>> | undefined;
    let timedOut = false;
    try {
      response = await this.#o.transport({ url: ep.url, headers, body: signed.body, timeoutMs: this.#o.timeoutMs });
      attempt.status = response.status;
      attempt.responseBody = internShort(response.body);
      if (response.headers) attempt.responseHeaders = this.#sameAsLast(headerLines(response.headers()));
    } catch (e) {
      timedOut = e instanceof DeliveryTimeoutError;
      attempt.error = timedOut ? `timeout: ${(e as Error).message}` : `network error: ${(e as Error).message}`;
    }
    attempt.durationMs = Math.max(0, wall.now() - started);
    // Exact-size arrays: `push` (or a spread) reserves room for 17 elements, and the log holds
    // hundreds of thousands of deliveries with one attempt each.
    d.attempts = d.attempts.length === 0 ? [attempt] : d.attempts.concat(attempt);
    if (d.attempts.length === 1 && d.jobId !== undefined && this.#held.size > 0)
      this.#held.overtakenBy(`${d.jobId}/${d.endpointId}`, d);

    const jitter = this.#o.retryJitter ?? 0;
    const decision = decideAttempt(response ?? { error: attempt.error, timedOut }, {
      scheduledAttempts: d.scheduledAttempts,
      trigger,
      schedule: this.#o.schedule,
      now: wall.now(),
      jitter,
      draw: jitter === 0 ? 0.5 : jitterDraw(this.#o.seed ?? 0, d.key, d.scheduledAttempts),
    });
    if (decision.outcome === 'succeeded') return this.#conclude(d, attempt, 'succeeded');
    if (decision.outcome === 'failed') {
      if (decision.disableEndpoint) this.#o.endpoints.disable(ep.id, decision.disableEndpoint);
      return this.#conclude(d, attempt, 'failed', decision.reason);
    }
    const delay = decision.delayMs;
    attempt.retryInMs = delay;
    this.log.setStatus(d, 'pending');
    this.#scheduleAttempt(d, delay);
    this.#report(d, attempt);
  }

  /** Final state first, then the report, so a log line shows how the delivery ended. */
  #conclude(d: Delivery, a: Attempt, status: 'succeeded' | 'failed', reason?: string): void {
    this.#finish(d, status, reason);
    this.#report(d, a);
  }

  /**
   * `lines` as one flat string, shared with the previous attempt's when they are the same (an
   * endpoint's answers mostly are, but for the date): the log holds tens of thousands.
   */
  #sameAsLast(lines: string): string {
    if (lines === this.#lastResponseHeaders) return this.#lastResponseHeaders;
    return (this.#lastResponseHeaders = flatString(lines));
  }

  /**
   * The headers every delivery to `ep` carries besides the signature's, as the message view
   * shows them: the basic-auth credentials redacted.
   */
  sentHeaders(ep: Endpoint): Record<string, string> {
    const h = { ...this.#fixedHeaders(ep) };
    if (h.authorization !== undefined) h.authorization = 'Basic REDACTED';
    return h;
  }

  /**
   * What every attempt to `ep` sends besides its signature: its custom headers (in lower case, so
   * ours replace one that differs only in case instead of going out twice), the content type,
   * the user agent and its basic auth. Built once per endpoint: a change replaces the object.
   */
  #fixedHeaders(ep: Endpoint): Record<string, string> {
    let h = this.#fixed.get(ep);
    if (h) return h;
    h = {};
    for (const k in ep.headers) h[k.toLowerCase()] = ep.headers[k] as string;
    h['content-type'] = 'application/json';
    h['user-agent'] = this.#o.userAgent;
    if (ep.basicAuth)
      h.authorization = `Basic ${Buffer.from(`${ep.basicAuth.username}:${ep.basicAuth.password}`).toString('base64')}`;
    this.#fixed.set(ep, h);
    return h;
  }

  #report(d: Delivery, a: Attempt): void {
    try {
      this.#o.onAttempt?.(d, a);
    } catch {
      // Logging must never break delivery.
    }
  }

  #finish(d: Delivery, status: 'succeeded' | 'failed' | 'dropped', reason?: string): void {
    d.finishedAt = this.#o.clock.now();
    d.nextAttemptAt = undefined;
    if (reason) d.reason = reason;
    this.log.setStatus(d, status); // last, so the state journal records the reason with it
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.test(d));
    if (ready.length) {
      this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(d);
    }
  }
}

/**
 * Receivers answer most deliveries with the same few bytes ("ok", "{}", ""): keep one copy of
 * each short body instead of one per attempt.
 */
const shortBodies = new Map<string, string>();
function internShort(body: string): string {
  if (body.length > 32) return body;
  const known = shortBodies.get(body);
  if (known !== undefined) return known;
  if (shortBodies.size < 256) shortBodies.set(body, body);
  return body;
}

/** The signature headers an attempt carried, by their names (a fault may have left one out). */
function sentSignature(
  headers: Record<string, string>,
  names: { id: string; timestamp: string; signature: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [names.id, names.timestamp, names.signature]) if (headers[n] !== undefined) out[n] = headers[n];
  return out;
}

const MAX_RESPONSE_HEADERS = 2048;

/** A response's headers as `name: value` lines, cut at 2 KiB: enough to read, bounded in memory. */
function headerLines(headers: Record<string, string | string[] | undefined>): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      out += `${name}: ${value}\n`;
      if (out.length >= MAX_RESPONSE_HEADERS) return out.slice(0, MAX_RESPONSE_HEADERS);
    }
  }
  return out;
}
