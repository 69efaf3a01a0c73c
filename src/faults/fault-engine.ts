import { SeededRandom, seedFrom } from '../core/random.js';

/** The most latency one API call gets from fault rules, stacked or not. */
export const MAX_API_LATENCY_MS = 60_000;
import {
  API_FAULT_KINDS,
  explain,
  SIGNATURE_FAULTS,
  type ApiRoute,
  type FaultRule,
  type Range,
  type SignatureFault,
} from './fault-plan.js';

/** What the faults say about one delivery (a message to one endpoint), decided once when it is created. */
export interface DeliveryDecision {
  drop?: string;
  delayMs?: number;
  duplicate?: { copies: number; spacingMs: number };
  reorder?: { maxHoldMs: number };
  /** One explanation per fault applied, for the delivery log. */
  applied: string[];
}

export interface ApiDecision {
  error?: { status: 429 | 500 | 503; retryAfterS?: number };
  latencyMs?: number;
  applied: readonly string[];
}
/** The decision when no rule is in force (shared; callers only read it). */
const NO_API_FAULT: ApiDecision = Object.freeze({ applied: Object.freeze([]) });

/** Bad signatures that a correct verifier must reject (valid-after-invalid must be accepted). */
export const REJECTABLE_SIGNATURE_FAULTS: readonly SignatureFault[] = SIGNATURE_FAULTS.filter(
  (f) => f !== 'valid-after-invalid' && f !== 'v2-beside-v1',
);

/**
 * The one interpreter of fault rules. Every random choice (probabilities, ranges, random
 * signature kinds) is drawn from the seed and the identity of what it applies to (message id,
 * endpoint, attempt number), not from a shared stream, so the same seed gives the same faults
 * on the same messages however deliveries interleave in time.
 */
export class FaultEngine {
  #rules: FaultRule[] = [];
  readonly #seen = new Map<FaultRule, number>();
  #apiCalls: Partial<Record<ApiRoute, number>> = {};
  #nextId = 1;

  constructor(
    private readonly seed: number,
    rules: readonly FaultRule[] = [],
  ) {
    this.set(rules);
  }

  list(): FaultRule[] {
    return [...this.#rules];
  }

  /** Whether any rule is in force (the delivery and API hot paths skip the engine otherwise). */
  get active(): boolean {
    return this.#rules.length > 0;
  }

  set(rules: readonly FaultRule[]): void {
    this.#rules = [];
    this.#seen.clear();
    this.#apiCalls = {};
    for (const r of rules) this.add(r);
  }

  add(rule: FaultRule): FaultRule {
    const r = { ...rule, id: rule.id ?? `fault_${this.#nextId++}` };
    this.#rules.push(r);
    return r;
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length !== before;
  }

  /** `key` names the delivery (message id and endpoint): the same key, the same decision. */
  forDelivery(ctx: { eventType: string; endpointId: string; key: string }): DeliveryDecision {
    const d: DeliveryDecision = { applied: [] };
    for (const rule of this.#matching(
      ctx,
      (k) => k === 'drop' || k === 'delay' || k === 'duplicate' || k === 'reorder',
    )) {
      const f = rule.fault;
      if (f.kind === 'drop') d.drop = explain(rule);
      else if (f.kind === 'delay') d.delayMs = (d.delayMs ?? 0) + this.#pick(f.ms, rule, ctx.key);
      else if (f.kind === 'duplicate') d.duplicate = { copies: f.copies, spacingMs: f.spacingMs ?? 0 };
      else if (f.kind === 'reorder') d.reorder = { maxHoldMs: f.maxHoldMs ?? 30_000 };
      d.applied.push(explain(rule));
    }
    return d;
  }

  /** The signature fault for one attempt, if any. */
  forAttempt(ctx: {
    eventType: string;
    endpointId: string;
    key: string;
  }): { variant: SignatureFault; explanation: string } | undefined {
    for (const rule of this.#matching(ctx, (k) => k === 'signature')) {
      const f = rule.fault as Extract<FaultRule['fault'], { kind: 'signature' }>;
      const variant =
        f.variant === 'random' ? this.#random(rule, ctx.key, 'variant').pick(REJECTABLE_SIGNATURE_FAULTS) : f.variant;
      return { variant, explanation: f.variant === 'random' ? `${explain(rule)} -> ${variant}` : explain(rule) };
    }
    return undefined;
  }

  forApi(route: ApiRoute): ApiDecision {
    const n = (this.#apiCalls[route] = (this.#apiCalls[route] ?? 0) + 1); // counted always: `nth` counts from the start
    if (this.#rules.length === 0) return NO_API_FAULT; // every API call asks; most runs have no rules
    const applied: string[] = [];
    const d: ApiDecision = { applied };
    const key = `${route}#${n}`;
    for (const rule of this.#matching({ route, key }, (k) => API_FAULT_KINDS.has(k))) {
      const f = rule.fault;
      if (f.kind === 'api-error' && !d.error)
        d.error = { status: f.status, ...(f.retryAfterS !== undefined ? { retryAfterS: f.retryAfterS } : {}) };
      // Stacked latency rules add up, to a minute at most (the request timeout stays longer).
      else if (f.kind === 'api-latency')
        d.latencyMs = Math.min(MAX_API_LATENCY_MS, (d.latencyMs ?? 0) + this.#pick(f.ms, rule, key));
      else continue;
      applied.push(explain(rule));
    }
    return d;
  }

  *#matching(
    ctx: { eventType?: string; endpointId?: string; route?: ApiRoute; key: string },
    kind: (k: FaultRule['fault']['kind']) => boolean,
  ): Generator<FaultRule> {
    for (const rule of this.#rules) {
      if (!kind(rule.fault.kind)) continue;
      const s = rule.scope ?? {};
      if (ctx.route === undefined) {
        if (s.endpointId && s.endpointId !== ctx.endpointId) continue;
        if (s.eventTypes?.length && !s.eventTypes.includes(ctx.eventType as string)) continue;
      } else if (s.routes?.length && !s.routes.includes(ctx.route)) continue;
      if (this.#fires(rule, ctx.key)) yield rule;
    }
  }

  #fires(rule: FaultRule, key: string): boolean {
    const w = rule.when;
    if (!w || 'always' in w) return true;
    if ('probability' in w) return this.#random(rule, key, 'fires').next() < w.probability;
    const n = (this.#seen.get(rule) ?? 0) + 1;
    this.#seen.set(rule, n);
    return w.nth.includes(n);
  }

  #pick(r: Range, rule: FaultRule, key: string): number {
    return Array.isArray(r) ? this.#random(rule, key, 'range').int(r[0], r[1]) : r;
  }

  #random(rule: FaultRule, key: string, purpose: string): SeededRandom {
    return new SeededRandom(seedFrom(this.seed, rule.id ?? '', key, purpose));
  }
}
