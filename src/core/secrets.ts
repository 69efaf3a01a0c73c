import { hash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => hash('sha256', s, 'buffer');
/** Digests of the few expected secrets (API key, tokens), so a check hashes only what it was given. */
const expectedDigests = new Map<string, Buffer>();

/**
 * Whether `given` is `expected`, in time that depends on neither: the one comparison of every
 * API key, token and session the mock checks. Both sides are hashed first, so even their
 * lengths stay hidden.
 */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  let want = expectedDigests.get(expected);
  if (!want) {
    if (expectedDigests.size >= 64) expectedDigests.clear();
    expectedDigests.set(expected, (want = digest(expected)));
  }
  return timingSafeEqual(digest(given), want);
}
