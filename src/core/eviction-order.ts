import Denque from 'denque';

/**
 * The retention rule the job store and the delivery log share: past their cap, the entry that
 * finished longest ago goes, and an unfinished one never does. Keys are queued as entries finish,
 * so eviction is O(1): scanning the Map from its start instead walked past every unfinished
 * entry and every deleted slot.
 */
export class EvictionOrder<V> {
  readonly #finishedKeys = new Denque<string>();

  constructor(
    private readonly entries: Map<string, V>,
    private readonly isFinished: (value: V) => boolean,
  ) {}

  /** Records that the entry under `key` has just finished (it may finish again after a resend). */
  finished(key: string): void {
    this.#finishedKeys.push(key);
  }

  /** Removes and returns the entry that finished longest ago and is still finished, if any. */
  evictOldest(): V | undefined {
    for (let key = this.#finishedKeys.shift(); key !== undefined; key = this.#finishedKeys.shift()) {
      const value = this.entries.get(key);
      // Skip keys already evicted, and entries that were reopened and are not finished now.
      if (value === undefined || !this.isFinished(value)) continue;
      this.entries.delete(key);
      return value;
    }
    return undefined;
  }
}
