/**
 * Faults are plain data (serialisable, loggable, diffable), interpreted by one engine
 * (`FaultEngine`). A `FaultRule` says what to do, where (scope) and when (every time, with a
 * probability drawn from the seed, or on the nth occurrence).
 */
export const SIGNATURE_FAULTS = [
  'wrong-secret',
  'tampered-body',
  'malformed-header',
  'missing-id',
  'missing-timestamp',
  'missing-signature',
  'stale-timestamp',
  'future-timestamp',
  'unknown-version',
  'valid-after-invalid',
  'non-numeric-timestamp',
  'partial-signature',
  'reserialized-body',
  'v2-beside-v1',
] as const;
export type SignatureFault = (typeof SIGNATURE_FAULTS)[number];

/**
 * The name of a route of Pulse's API, as fault rules scope to it and the request log names it:
 * each operation's own (`extract`, `large-results`, ...) and the shared `poll`, `cancel` and
 * `webhook`. The config file's JSON Schema lists them.
 */
export type ApiRoute = string;

export type Range = number | [number, number];

export type Fault =
  /** Sends `copies` extra copies of the message (same webhook-id), `spacingMs` apart. */
  | { kind: 'duplicate'; copies: number; spacingMs?: number }
  /** Holds the first attempt for `ms` (or a seeded value in [min, max]). */
  | { kind: 'delay'; ms: Range }
  /** Holds the message until the job's next message to the same endpoint went out (or `maxHoldMs`). */
  | { kind: 'reorder'; maxHoldMs?: number }
  /** Never sent; recorded as dropped. */
  | { kind: 'drop' }
  /** Sends the message with a broken signature of the given kind ('random': one drawn from the seed per attempt). */
  | { kind: 'signature'; variant: SignatureFault | 'random' }
  /** Answers an API call with this status (Pulse error body; Retry-After on 429/503). */
  | { kind: 'api-error'; status: 429 | 500 | 503; retryAfterS?: number }
  /** Adds real latency before an API call is answered. */
  | { kind: 'api-latency'; ms: Range };

export interface FaultScope {
  endpointId?: string;
  eventTypes?: string[];
  /** API faults: which routes (default: every Pulse route). */
  routes?: ApiRoute[];
}

export type FaultWhen = { probability: number } | { nth: number[] } | { always: true };

export interface FaultRule {
  id?: string;
  fault: Fault;
  scope?: FaultScope;
  when?: FaultWhen;
}

export const API_FAULT_KINDS = new Set<Fault['kind']>(['api-error', 'api-latency']);

/**
 * One line a person can read, for the log and the banner.
 *
 * @example
 * explainFault({ fault: { kind: 'api-error', status: 429, retryAfterS: 2 }, when: { nth: [1] } });
 * // 'API 429 (Retry-After 2s) (occurrence #1)'
 */
export function explain(rule: FaultRule): string {
  const f = rule.fault;
  const range = (r: Range) => (Array.isArray(r) ? `${r[0]}-${r[1]} ms` : `${r} ms`);
  const what = (() => {
    switch (f.kind) {
      case 'duplicate':
        return `duplicate x${f.copies}${f.spacingMs ? ` every ${f.spacingMs} ms` : ''}`;
      case 'delay':
        return `delay ${range(f.ms)}`;
      case 'reorder':
        return 'reorder (hold until the next event overtakes it)';
      case 'drop':
        return 'drop';
      case 'signature':
        return `bad signature: ${f.variant}`;
      case 'api-error':
        return `API ${f.status}${f.retryAfterS !== undefined ? ` (Retry-After ${f.retryAfterS}s)` : ''}`;
      case 'api-latency':
        return `API latency ${range(f.ms)}`;
    }
  })();
  const s = rule.scope ?? {};
  const where = [
    s.endpointId ? `endpoint ${s.endpointId}` : '',
    s.eventTypes?.length ? s.eventTypes.join('/') : '',
    s.routes?.length ? `routes ${s.routes.join('/')}` : '',
  ].filter(Boolean);
  const w = rule.when;
  const when =
    !w || 'always' in w ? 'always' : 'probability' in w ? `p=${w.probability}` : `occurrence #${w.nth.join(',')}`;
  return `${what}${where.length ? ` on ${where.join(', ')}` : ''} (${when})`;
}
