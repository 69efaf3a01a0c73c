import type { SentEvent } from './define.js';

/** What a failed check costs (`--fail-on` sets which fail the run). */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/**
 * A check's grade before its timing and evidence are added. `passed: null` is not graded (an
 * effect check with no effects probe): it neither passes nor fails the run.
 */
export type Graded = { passed: boolean | null; detail: string; severity?: Severity };

export const is2xx = (r: SentEvent) => r.status !== undefined && r.status >= 200 && r.status < 300;
export const is4xx = (r: SentEvent) => r.status !== undefined && r.status >= 400 && r.status < 500;
export const answer = (r: SentEvent) =>
  r.status !== undefined ? `${r.status} in ${r.durationMs} ms` : `no answer (${r.error})`;

/**
 * A delivery a verifier must refuse. Accepting it is critical (a forgery or a replay acts);
 * refusing it with a 5xx or not answering is a warning (nothing acts, but Pulse retries it).
 */
export function mustReject(what: string, r: SentEvent): Graded {
  if (is4xx(r)) return { passed: true, detail: `rejected ${what} (${answer(r)})` };
  if (is2xx(r))
    return {
      passed: false,
      severity: 'critical',
      detail: `accepted ${what} (${r.status}): the consumer does not verify signatures properly, so anyone can make it act; verify with the svix or standardwebhooks library`,
    };
  if (r.status !== undefined)
    return {
      passed: false,
      severity: 'warning',
      detail: `answered ${r.status} to ${what}: reject with a 4xx (400/401), do not fail with a 5xx (Pulse retries a 5xx)`,
    };
  return { passed: false, severity: 'warning', detail: `no answer to ${what}: ${r.error}` };
}

/** A delivery the consumer should take: refusing it is a warning unless said otherwise. */
export function mustAccept(what: string, r: SentEvent, hint: string, severity: Severity = 'warning'): Graded {
  if (is2xx(r)) return { passed: true, detail: `accepted ${what} (${answer(r)})` };
  if (r.status === undefined) return { passed: false, severity, detail: `no answer to ${what}: ${r.error}` };
  return { passed: false, severity, detail: `answered ${r.status} to ${what}: ${hint}` };
}
