import { createHash } from 'node:crypto';

/**
 * Every random choice pulse-mock makes comes from the run's seed, so a failure in CI can be
 * replayed with `--seed N`. Two kinds of randomness:
 * - `seedFrom(...)`: a value derived from the seed and a request's content, so the same
 *   request gives the same body whatever order requests arrive in;
 * - `SeededRandom`: a stream, for choices that depend on sequence (job ids, failure rates).
 */
export function seedFrom(...parts: unknown[]): number {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p) ?? 'undefined').update('\u0000');
  return h.digest().readUInt32BE(0);
}

/** mulberry32: tiny, fast, good enough for test data; not for secrets. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A random v4-shaped UUID from this stream. */
  uuid(): string {
    const bytes = Array.from({ length: 16 }, () => this.int(0, 255));
    bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/**
 * Numbered UUIDs: the n-th id hashes (seed, salt, n) into 122 random bits. Ids must not come
 * from `SeededRandom`: every mulberry32 stream walks the same 2^32 cycle, so two streams (a
 * restart with a new salt) can overlap and repeat ids.
 */
export class IdSequence {
  #n = 0;

  constructor(private readonly prefix: string) {}

  next(): string {
    const b = createHash('sha256').update(`${this.prefix}\u0000${++this.#n}`).digest();
    b[6] = ((b[6] as number) & 0x0f) | 0x40; // version 4
    b[8] = ((b[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
    // Formatted in one buffer: slicing a hex string would keep ropes and the whole hex alive per id.
    const hex = b.subarray(0, 16).toString('hex');
    const out = Buffer.allocUnsafe(36);
    let o = 0;
    for (let i = 0; i < 32; i++) {
      if (i === 8 || i === 12 || i === 16 || i === 20) out[o++] = 45; // '-'
      out[o++] = hex.charCodeAt(i);
    }
    return out.toString('latin1');
  }
}

/** A fresh seed for runs started without one (printed, so the run can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
