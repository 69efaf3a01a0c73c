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
}
