/**
 * Values computed once per key, for the few keys a running mock sees again and again (secrets,
 * endpoint URLs, documents). Past `max` keys everything is forgotten at once: simpler than an
 * LRU, and only a hostile or unusual client ever gets there.
 */
export class BoundedMemo<V> {
  readonly #values = new Map<string, V>();

  constructor(private readonly max = 1000) {}

  get(key: string, compute: () => V): V {
    let v = this.#values.get(key);
    if (v === undefined) {
      v = compute();
      if (this.#values.size >= this.max) this.#values.clear();
      this.#values.set(key, v);
    }
    return v;
  }

  /** Forgets one key (a value that turned out unusable, such as a rejected promise). */
  delete(key: string): void {
    this.#values.delete(key);
  }

  /** Forgets every key (what they were computed from changed). */
  clear(): void {
    this.#values.clear();
  }
}

/** Freezes `value` and everything under it: for values a memo hands to many readers. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
