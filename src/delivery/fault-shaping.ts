import type { Clock, Timer } from '../clock.js';
import type { DeliveryDecision } from '../faults/fault-engine.js';

/** How one delivery goes out under the faults decided for it: a pure function of that decision. */
export type DeliveryPlan =
  | { drop: string }
  | {
      /** Before the first attempt (a delay fault; 0 without one). */
      delayMs: number;
      /** Held until a later message of the same job overtakes it, at most this long (a reorder fault). */
      holdMs?: number;
      /** Extra copies under the same message id, each with its first attempt's delay and its note for the log. */
      copies: { delayMs: number; note: string }[];
    };

/**
 * Drop wins over everything; a delay holds the delivery and its copies alike; copies follow
 * `spacingMs` apart; a reorder holds the delivery (not its copies) for its maximum on top of
 * the delay, unless the message has no job to be overtaken within.
 */
export function shapeDelivery(decision: DeliveryDecision, hasJob: boolean): DeliveryPlan {
  if (decision.drop) return { drop: `dropped by fault: ${decision.drop}` };
  const delayMs = decision.delayMs ?? 0;
  const dup = decision.duplicate;
  const copies = Array.from({ length: dup?.copies ?? 0 }, (_, i) => ({
    delayMs: delayMs + (i + 1) * (dup?.spacingMs ?? 0),
    note: `duplicate ${i + 1} of ${dup?.copies}`,
  }));
  return decision.reorder && hasJob
    ? { delayMs, holdMs: decision.reorder.maxHoldMs + delayMs, copies }
    : { delayMs, copies };
}

/**
 * Deliveries held by a reorder fault, by job and endpoint: each goes out when a later message of
 * its job to its endpoint has had a first attempt, or when its hold ends.
 */
export class ReorderHolds<T extends { messageId: string; createdAt: number }> {
  readonly #held = new Map<string, { item: T; timer: Timer }[]>();

  constructor(
    private readonly clock: Clock,
    private readonly release: (item: T, early: boolean) => void,
  ) {}

  /** How many job/endpoint pairs hold something (0 without reorder faults: nothing to check). */
  get size(): number {
    return this.#held.size;
  }

  hold(key: string, item: T, maxMs: number): void {
    const list = this.#held.get(key) ?? [];
    const entry = {
      item,
      timer: this.clock.setTimeout(() => {
        this.#keep(
          key,
          (this.#held.get(key) ?? []).filter((e) => e !== entry),
        );
        this.release(item, false);
      }, maxMs),
    };
    list.push(entry);
    this.#held.set(key, list);
  }

  /**
   * `sent` had its first attempt: every message held under `key` that it overtook (one published
   * before it) is released now. An earlier message still in flight when a later one was held
   * overtakes nothing: it was first anyway.
   */
  overtakenBy(key: string, sent: T): void {
    const list = this.#held.get(key);
    if (!list?.length) return;
    const isOvertaken = (e: { item: T }) => e.item.messageId !== sent.messageId && e.item.createdAt <= sent.createdAt;
    const overtaken = list.filter(isOvertaken);
    if (overtaken.length === 0) return;
    this.#keep(
      key,
      list.filter((e) => !isOvertaken(e)),
    );
    for (const e of overtaken) {
      e.timer.cancel();
      this.release(e.item, true);
    }
  }

  #keep(key: string, list: { item: T; timer: Timer }[]): void {
    if (list.length) this.#held.set(key, list);
    else this.#held.delete(key);
  }

  close(): void {
    for (const list of this.#held.values()) for (const e of list) e.timer.cancel();
    this.#held.clear();
  }
}
