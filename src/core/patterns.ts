/**
 * How config rules and fixtures name documents: a glob (`*`, `?`; case-insensitive) tried
 * against the file name and the full URL, or a regular expression written `/.../flags`.
 */
export function compilePattern(pattern: string): (candidates: readonly string[]) => boolean {
  const re = toRegExp(pattern);
  return (candidates) => candidates.some((c) => re.test(c));
}

function toRegExp(pattern: string): RegExp {
  const slashed = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (slashed) return new RegExp(slashed[1] as string, slashed[2]);
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Throws a readable error for a pattern that does not compile (used by config validation). */
export function checkPattern(pattern: string): string | undefined {
  try {
    toRegExp(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
