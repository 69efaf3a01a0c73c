import { awaitedDeadline } from '../clock.js';
import { EvictionOrder } from '../core/eviction-order.js';
import { TERMINAL_DELIVERY_STATES, type Delivery, type DeliveryStatus } from './types.js';

export interface DeliveryFilter {
  jobId?: string;
  eventType?: string;
  endpointId?: string;
  status?: DeliveryStatus;
  messageId?: string;
  /** Part of the job id or the message id (case-insensitive): the portal's search box. */
  search?: string;
  limit?: number;
}

/** One page of the log: `offset` counts back from the newest match, so a page stays put as older ones are read. */
export interface LogPage {
  /** Skip this many of the newest matches. */
  offset?: number;
  limit: number;
  /** Newest first (the portal) or oldest first (the default of the list). */
  order?: 'asc' | 'desc';
}

/** Whether `d` is one of the deliveries `f` names (every field given must match; `limit` aside). */
export function matchesFilter(d: Delivery, f: DeliveryFilter): boolean {
  return (
    (f.jobId === undefined || d.jobId === f.jobId) &&
    (f.eventType === undefined || d.eventType === f.eventType) &&
    (f.endpointId === undefined || d.endpointId === f.endpointId) &&
    (f.status === undefined || d.status === f.status) &&
    (f.messageId === undefined || d.messageId === f.messageId) &&
    (f.search === undefined || contains(d.jobId, f.search) || contains(d.messageId, f.search))
  );
}

const contains = (text: string | undefined, part: string) =>
  text !== undefined && text.toLowerCase().includes(part.toLowerCase());

/**
 * Every delivery (a message to one endpoint) and its attempts, in creation order; past
 * `max` the oldest finished ones are evicted, never a pending one.
 */
export class DeliveryLog {
  readonly #byKey = new Map<string, Delivery>();
  readonly #counts: Record<DeliveryStatus, number> = { pending: 0, sending: 0, succeeded: 0, failed: 0, dropped: 0 };
  readonly #eviction = new EvictionOrder(this.#byKey, (d) => TERMINAL_DELIVERY_STATES.has(d.status));
  #evicted = 0;

  /** Called on every new delivery and state change (the state journal listens). */
  onChange?: (d: Delivery) => void;
  /** Everyone else waiting on the log (scenarios, tests): called after `onChange`. */
  readonly #watchers = new Set<(d: Delivery) => void>();

  constructor(private readonly max: number) {}

  add(d: Delivery): void {
    // A key names one delivery; should one ever come round again, the newcomer gets a suffix
    // rather than overwriting (and so hiding) the delivery already in the log.
    const existing = this.#byKey.get(d.key);
    if (existing === d) return;
    if (existing) for (let n = 2; this.#byKey.has((d.key = `${d.key.replace(/#again\d+$/, '')}#again${n}`)); n++);
    this.#byKey.set(d.key, d);
    this.#changed(d);
    this.#counts[d.status]++;
    if (TERMINAL_DELIVERY_STATES.has(d.status)) this.#eviction.finished(d.key);
    if (this.#byKey.size > this.max) this.#evictOne();
  }

  /** All state changes go through here so the counts stay exact. */
  setStatus(d: Delivery, status: DeliveryStatus): void {
    if (d.status === status) return;
    if (this.#byKey.get(d.key) === d) {
      this.#counts[d.status]--;
      this.#counts[status]++;
    }
    d.status = status;
    if (TERMINAL_DELIVERY_STATES.has(status)) this.#eviction.finished(d.key);
    this.#changed(d);
    if (this.#byKey.size > this.max) this.#evictOne();
  }

  #changed(d: Delivery): void {
    this.onChange?.(d);
    if (this.#watchers.size) for (const w of this.#watchers) w(d);
  }

  /** Calls `listener` on every new delivery and state change; returns the unsubscribe. */
  watch(listener: (d: Delivery) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /**
   * Resolves once `check()` holds, checking now and after every change to the log; resolves
   * with false after `timeoutMs` of real time if it never does.
   */
  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        off();
        timer.cancel();
        resolve(ok);
      };
      const off = this.watch(() => {
        if (check()) done(true);
      });
      const timer = awaitedDeadline(() => done(check()), timeoutMs);
    });
  }

  get(key: string): Delivery | undefined {
    return this.#byKey.get(key);
  }

  byMessage(messageId: string): Delivery[] {
    return this.list({ messageId });
  }

  list(f: DeliveryFilter = {}): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.#byKey.values()) if (matchesFilter(d, f)) out.push(d);
    return f.limit !== undefined ? out.slice(-f.limit) : out;
  }

  /** The matches of `f` on one page, and how many match in all. */
  page(f: DeliveryFilter, p: LogPage): { items: Delivery[]; total: number } {
    const all = this.list({ ...f, limit: Number.MAX_SAFE_INTEGER });
    const end = Math.max(0, all.length - (p.offset ?? 0));
    const items = all.slice(Math.max(0, end - p.limit), end);
    return { items: p.order === 'desc' ? items.reverse() : items, total: all.length };
  }

  /** Deliveries not finished yet (pending, waiting retries included, or sending): read per async submission. */
  get unfinished(): number {
    return this.#counts.pending + this.#counts.sending;
  }

  counts(): Record<DeliveryStatus, number> & { evicted: number } {
    return { ...this.#counts, evicted: this.#evicted };
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Evicts the delivery that finished longest ago, if any (a pending one never is). */
  #evictOne(): void {
    const d = this.#eviction.evictOldest();
    if (!d) return;
    this.#counts[d.status]--;
    this.#evicted++;
  }
}
