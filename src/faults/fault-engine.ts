import type { SeededRandom } from '../core/random.js';
import { API_FAULT_KINDS, explain, SIGNATURE_FAULTS, type ApiRoute, type FaultRule, type Range, type SignatureFault } from './fault-plan.js';

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
  applied: string[];
}

/** Bad signatures that a correct verifier must reject (valid-after-invalid must be accepted). */
export const REJECTABLE_SIGNATURE_FAULTS: readonly SignatureFault[] = SIGNATURE_FAULTS.filter((f) => f !== 'valid-after-invalid');

/**
 * The one interpreter of fault rules. Every random choice (probabilities, ranges, random
 * signature kinds) comes from the seeded stream, in the order events happen, so the same seed
 * and the same run give the same faults.
 */
export class FaultEngine {
  #rules: FaultRule[] = [];
  readonly #seen = new Map<FaultRule, number>();
  #nextId = 1;

  constructor(
    private readonly random: SeededRandom,
    rules: readonly FaultRule[] = [],
  ) {
    this.set(rules);
  }

  list(): FaultRule[] {
    return [...this.#rules];
  }

  set(rules: readonly FaultRule[]): void {
    this.#rules = [];
    this.#seen.clear();
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

  forDelivery(ctx: { eventType: string; endpointId: string }): DeliveryDecision {
    const d: DeliveryDecision = { applied: [] };
    for (const rule of this.#matching(ctx, (k) => k === 'drop' || k === 'delay' || k === 'duplicate' || k === 'reorder')) {
      const f = rule.fault;
      if (f.kind === 'drop') d.drop = explain(rule);
      else if (f.kind === 'delay') d.delayMs = (d.delayMs ?? 0) + this.#pick(f.ms);
      else if (f.kind === 'duplicate') d.duplicate = { copies: f.copies, spacingMs: f.spacingMs ?? 0 };
      else if (f.kind === 'reorder') d.reorder = { maxHoldMs: f.maxHoldMs ?? 30_000 };
      d.applied.push(explain(rule));
    }
    return d;
  }

  /** The signature fault for one attempt, if any. */
  forAttempt(ctx: { eventType: string; endpointId: string }): { variant: SignatureFault; explanation: string } | undefined {
    for (const rule of this.#matching(ctx, (k) => k === 'signature')) {
      const f = rule.fault as Extract<FaultRule['fault'], { kind: 'signature' }>;
      const variant = f.variant === 'random' ? this.random.pick(REJECTABLE_SIGNATURE_FAULTS) : f.variant;
      return { variant, explanation: f.variant === 'random' ? `${explain(rule)} -> ${variant}` : explain(rule) };
    }
    return undefined;
  }

  forApi(route: ApiRoute): ApiDecision {
    const d: ApiDecision = { applied: [] };
    for (const rule of this.#matching({ route }, (k) => API_FAULT_KINDS.has(k))) {
      const f = rule.fault;
      if (f.kind === 'api-error' && !d.error) d.error = { status: f.status, ...(f.retryAfterS !== undefined ? { retryAfterS: f.retryAfterS } : {}) };
      else if (f.kind === 'api-latency') d.latencyMs = (d.latencyMs ?? 0) + this.#pick(f.ms);
      else continue;
      d.applied.push(explain(rule));
    }
    return d;
  }

  *#matching(ctx: { eventType?: string; endpointId?: string; route?: ApiRoute }, kind: (k: FaultRule['fault']['kind']) => boolean): Generator<FaultRule> {
    for (const rule of this.#rules) {
      if (!kind(rule.fault.kind)) continue;
      const s = rule.scope ?? {};
      if (ctx.route === undefined) {
        if (s.endpointId && s.endpointId !== ctx.endpointId) continue;
        if (s.eventTypes?.length && !s.eventTypes.includes(ctx.eventType as string)) continue;
      } else if (s.routes?.length && !s.routes.includes(ctx.route)) continue;
      if (this.#fires(rule)) yield rule;
    }
  }

  #fires(rule: FaultRule): boolean {
    const w = rule.when;
    if (!w || 'always' in w) return true;
    if ('probability' in w) return this.random.next() < w.probability;
    const n = (this.#seen.get(rule) ?? 0) + 1;
    this.#seen.set(rule, n);
    return w.nth.includes(n);
  }

  #pick(r: Range): number {
    return Array.isArray(r) ? this.random.int(r[0], r[1]) : r;
  }
}
