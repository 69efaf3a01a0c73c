/**
 * Recordings: real exchanges with Pulse (or any upstream), kept as plain JSON a reviewer can read
 * and edit, one file per request, replayed by `--recordings`. Secrets are never written: the key
 * is not kept at all, and `whsec_` secrets and the tokens in URLs are redacted before a file is.
 */
export const RECORDING_VERSION = 1;

export interface Recording {
  /** The format's version: a replay refuses one it does not know. */
  version: number;
  recordedAt: string;
  /** Where it was recorded from (its origin; no credentials). */
  upstream: string;
  request: {
    method: string;
    /** The route's name (`extract`, `split`, ...), as fault rules and the request log name it. */
    route: string;
    path: string;
    /** The body's fields (JSON or form fields), as sent. */
    fields: Record<string, unknown>;
    /** An uploaded file, by its digest (its bytes are not kept). */
    file?: { name: string; sha256: string; size: number };
  };
  response: { status: number; body: unknown };
  /**
   * An async job's life as the polls saw it: each status once, in order, the final poll's body
   * with it. Webhooks are not recorded (Pulse sends them to the user's endpoint): replay derives
   * them from this.
   */
  lifecycle?: { status: string; body?: unknown }[];
}

export const REDACTED = 'REDACTED';

/** Query parameters that carry a credential (a signed link's token, a presigned URL's signature). */
const SECRET_PARAMS =
  /^(token|signature|sig|key|api_key|apikey|access_token|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/**
 * A copy of `value` with every secret replaced: `apiKeys` wherever they appear, `whsec_` secrets,
 * credentials in URLs' query strings and fragments (`#key=...`, the portal's login link).
 */
export function redact(value: unknown, apiKeys: readonly string[] = []): unknown {
  const keys = apiKeys.filter((k) => k.length >= 4);
  const text = (s: string): string => {
    let out = s;
    for (const k of keys) out = out.split(k).join(REDACTED);
    out = out.replace(/whsec_[A-Za-z0-9+/=_-]+/g, `whsec_${REDACTED}`);
    return out.replace(/https?:\/\/[^\s"'<>]+/g, (url) => {
      if (!URL.canParse(url)) return url;
      const u = new URL(url);
      let changed = false;
      for (const [k] of [...u.searchParams])
        if (SECRET_PARAMS.test(k)) {
          u.searchParams.set(k, REDACTED);
          changed = true;
        }
      if (u.username || u.password) {
        u.username = REDACTED;
        u.password = '';
        changed = true;
      }
      if (u.hash.length > 1) {
        u.hash = `#${REDACTED}`;
        changed = true;
      }
      return changed ? u.toString() : url;
    });
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/** `fileUrl`, `file-url`, `FILE_URL` -> `file_url`: the spellings clients send, as one. */
export function canonicalKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** Fields that do not decide a response's body (how it is delivered, not what it says). */
const DELIVERY_FIELDS = new Set(['async']);

/**
 * What a request is matched on: its fields with keys canonical, values JSON-parsed where a
 * multipart form carried JSON as a string, ids mapped by `mapId`, and keys sorted.
 */
export function matchKey(
  method: string,
  route: string,
  fields: Record<string, unknown>,
  file: { sha256: string } | undefined,
  mapId: (id: string) => string = (id) => id,
): string {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const t = v.trim();
      if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
        try {
          return norm(JSON.parse(t));
        } catch {
          return mapId(v);
        }
      }
      return mapId(v);
    }
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .map(([k, x]) => [canonicalKey(k), norm(x)] as const)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    return v;
  };
  const kept = Object.fromEntries(Object.entries(fields).filter(([k]) => !DELIVERY_FIELDS.has(canonicalKey(k))));
  return JSON.stringify([method.toUpperCase(), route, norm(kept), file?.sha256 ?? null]);
}

/** Keys whose values are ids that chain from one call to the next. */
export const isIdKey = (key: string) => /(^|_)id$/.test(key) || key === 'id';

/**
 * Pairs the ids of `recorded` with those at the same place in `fresh` (`extraction_id`,
 * `job_id`, ... and the ids inside URLs): what a replayed body's ids become.
 */
export function pairIds(recorded: unknown, fresh: unknown, into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(recorded) && Array.isArray(fresh)) {
    recorded.forEach((r, i) => pairIds(r, fresh[i], into));
    return into;
  }
  if (recorded && fresh && typeof recorded === 'object' && typeof fresh === 'object') {
    for (const [k, r] of Object.entries(recorded)) {
      const f = (fresh as Record<string, unknown>)[k];
      if (isIdKey(k) && typeof r === 'string' && typeof f === 'string' && r !== f && r.length >= 6) into.set(r, f);
      else pairIds(r, f, into);
    }
  }
  return into;
}

/** `value` with every string occurrence of a mapped id replaced (in ids, URLs and text alike). */
export function replaceIds(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (ids.size === 0) return value;
  const pattern = new RegExp([...ids.keys()].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(pattern, (m) => ids.get(m) ?? m);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}
