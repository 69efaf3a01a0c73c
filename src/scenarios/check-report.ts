import { EFFECT_CHECK_IDS } from './effect-checks.js';
import { SEVERITIES, type Severity } from './grading.js';
import { junit, type ReporterName } from './reporters.js';

/**
 * The conformance check: grades a webhook consumer against Pulse's Production Checklist.
 * Check ids are stable; the JSON report is `{ passed, checks: [{ id, passed, detail }] }`.
 */
export const CHECK_IDS = [
  'valid-signature-accepted',
  'wrong-secret-rejected',
  'tampered-body-rejected',
  'missing-headers-rejected',
  'stale-timestamp-rejected',
  'future-timestamp-rejected',
  'unknown-version-rejected',
  'fast-response',
  'duplicate-tolerated',
  'unknown-event-tolerated',
  'out-of-order-tolerated',
  'multi-signature-accepted',
  // The edge cases of the Standard Webhooks reference libraries' own tests.
  'partial-signature-rejected',
  'non-numeric-timestamp-rejected',
  'reserialized-body-rejected',
  'v2-beside-v1-accepted',
  'timestamp-within-tolerance-accepted',
  'timestamp-past-tolerance-rejected',
  // What the consumer did, read through its effects probe (not graded without one).
  ...EFFECT_CHECK_IDS,
  'fetches-job-after-completion',
] as const;
/** Reported alone, and nothing else tried, when nothing answers at the target. */
export const REACHABLE_CHECK = 'consumer-reachable';
export type CheckId = (typeof CHECK_IDS)[number] | typeof REACHABLE_CHECK;

export interface CheckResult {
  id: CheckId;
  /** null: not graded (an effect check run with no effects probe); it neither passes nor fails the run. */
  passed: boolean | null;
  graded: boolean;
  /** What a failure costs: critical (forgeries or replays accepted, state lost), warning, info; `info` when passed. */
  severity: Severity;
  detail: string;
  /** What was sent and what came back. */
  evidence: { sent: string; got: string }[];
  durationMs: number;
}

export interface CheckReport {
  passed: boolean;
  /** The least severity that fails the run. */
  failOn: Severity;
  target: string;
  api: { url: string; apiKey: string };
  checks: CheckResult[];
  /** Wall time from the start to the last check graded, its mock's start-up included. */
  durationMs: number;
  /** Of `durationMs`, starting its mock. */
  startupMs: number;
}

/** Whether a run passes at `failOn`: no graded check failed at that severity or worse. */
export function checkPassed(checks: readonly CheckResult[], failOn: Severity): boolean {
  return !checks.some((c) => fails(c, failOn));
}

/** Whether a check's failure fails the run at `failOn`. */
function fails(c: CheckResult, failOn: Severity): boolean {
  return c.passed === false && SEVERITIES.indexOf(c.severity) <= SEVERITIES.indexOf(failOn);
}

const MARK: Record<Severity, string> = { critical: '✗', warning: '!', info: 'i' };

/**
 * The report as the CLI prints it: `pretty` (one line a check), `json` (`{ passed, failOn, checks }`)
 * or `junit` (a not-graded check is skipped; a failure's type is its severity).
 *
 * @example
 * process.stdout.write(formatCheckReport(await runCheck({ target, secret }), 'pretty'));
 */
export function formatCheckReport(r: CheckReport, reporter: ReporterName): string {
  if (reporter === 'json')
    return `${JSON.stringify({ passed: r.passed, failOn: r.failOn, durationMs: r.durationMs, startupMs: r.startupMs, checks: r.checks }, null, 2)}\n`;
  if (reporter === 'junit')
    return junit(
      'pulse-mock check',
      r.checks.map((c) => ({
        name: c.id,
        durationMs: c.durationMs,
        ...(c.passed === null ? { skipped: c.detail } : {}),
        failures: fails(c, r.failOn)
          ? [
              {
                message: c.detail,
                type: c.severity,
                detail: [`${c.severity}: ${c.detail}`, ...c.evidence.map((e) => `sent ${e.sent}; got ${e.got}`)].join(
                  '\n',
                ),
              },
            ]
          : [],
      })),
    );
  if (r.checks.length === 1 && r.checks[0]!.id === REACHABLE_CHECK)
    return `[pulse-mock] conformance check of ${r.target}: ${r.checks[0]!.detail}\n`;
  const width = Math.max(...r.checks.map((c) => c.id.length));
  const lines = r.checks.map((c) =>
    c.passed === null
      ? `  - ${c.id.padEnd(width)}  ${c.detail}`
      : `  ${c.passed ? '✓' : MARK[c.severity]} ${c.id.padEnd(width)}  ${c.passed ? '' : `${c.severity}: `}${c.detail}`,
  );
  const graded = r.checks.filter((c) => c.passed !== null);
  const passed = graded.filter((c) => c.passed).length;
  const count = (s: Severity) => graded.filter((c) => !c.passed && c.severity === s).length;
  const findings = SEVERITIES.map((s) => `${count(s)} ${s}`).join(', ');
  const notGraded = r.checks.length - graded.length;
  return `[pulse-mock] conformance check of ${r.target}\n${lines.join('\n')}\n\n${passed}/${graded.length} checks passed (${findings}; failing on ${r.failOn} and above)${notGraded ? `; ${notGraded} not graded (no effects probe)` : ''}${r.passed ? '' : ': see the details above'}\n`;
}
