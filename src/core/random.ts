import { hash } from 'node:crypto';

/**
 * Every random choice pulse-mock makes comes from the run's seed, so a failure in CI can be
 * replayed with `--seed N`. Three kinds:
 * - `seedFrom(...)`: a value derived from the seed and a request's content, so the same
 *   request gives the same body whatever order requests arrive in;
 * - `SeededRandom`: a stream, for choices that depend on sequence (failure rates, picks);
 * - `IdSequence`: numbered ids (jobs, endpoints), hashed so that no two ever repeat.
 */
export function seedFrom(...parts: unknown[]): number {
  let text = '';
  for (const p of parts) text += `${typeof p === 'string' ? p : (JSON.stringify(p) ?? 'undefined')}\u0000`;
  // One-shot hash: a third of createHash().update().digest()'s cost, on every submission.
  return parseInt(hash('sha256', text, 'hex').slice(0, 8), 16);
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
  /** Each hash gives two ids (32 bytes); the second waits here for the next call. */
  #spare: string | undefined;

  constructor(private readonly prefix: string) {}

  next(): string {
    const spare = this.#spare;
    if (spare !== undefined) {
      this.#spare = undefined;
      return spare;
    }
    const hex = hash('sha256', `${this.prefix}\u0000${++this.#n}`, 'hex');
    this.#spare = uuidFromHex(hex, 32);
    return uuidFromHex(hex, 0);
  }
}

const HEX = '0123456789abcdef';
/** A version-4 UUID from 32 hex digits at `at`, formatted in one buffer: slicing the hex string would keep it alive behind each id. */
function uuidFromHex(hex: string, at: number): string {
  const out = Buffer.allocUnsafe(36);
  let o = 0;
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) out[o++] = 45; // '-'
    let c = hex.charCodeAt(at + i);
    if (i === 12)
      c = 52; // '4': version 4
    else if (i === 16) c = HEX.charCodeAt((HEX.indexOf(hex[at + i] as string) & 0x3) | 0x8); // RFC 4122 variant
    out[o++] = c;
  }
  return out.toString('latin1');
}

/** A fresh seed for runs started without one (printed, so the run can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
