import type { Assertion } from './context.js';

export interface ScenarioResult {
  name: string;
  description: string;
  passed: boolean;
  /** Wall time, its mock's start-up included. */
  durationMs: number;
  /** Of `durationMs`, starting its mock. */
  startupMs: number;
  /** Mock time that passed without wall time (jobs, retries and faults skipped ahead while idle). */
  skippedMs: number;
  /** Wall time waiting with nothing due in the mock: on the consumer's own clock (see `Scenario.realDelay`). */
  idleMs: number;
  /** Why the scenario waits in real time, when it says so (its `realDelay`). */
  realDelay?: string;
  assertions: Assertion[];
  logs: string[];
  /** The mock's delivery log at the end, compact: what was sent, with which faults, and how it ended. */
  deliveries: {
    messageId: string;
    eventType: string;
    status: string;
    attempts: number;
    faults: string[];
    attemptFaults: string[];
  }[];
}

export type ReporterName = 'pretty' | 'json' | 'junit';

/** Live progress (pretty only) and the final report, to a writer (stdout by default). */
export interface Reporter {
  start(name: string, description: string): void;
  assertion(a: Assertion): void;
  log(message: string): void;
  end(r: ScenarioResult): void;
  finish(results: ScenarioResult[], meta: { seed: number }): void;
}

export function createReporter(
  name: ReporterName,
  write: (s: string) => void = (s) => process.stdout.write(s),
): Reporter {
  if (name === 'pretty') {
    return {
      start: (n, d) => write(`\n[pulse-mock] scenario ${n}: ${d}\n`),
      assertion: (a) =>
        write(`  ${a.passed ? '✓' : '✗'} ${a.message}${!a.passed && a.detail ? `\n      ${a.detail}` : ''}\n`),
      log: (m) => write(`    · ${m}\n`),
      end: (r) =>
        write(
          `  ${r.passed ? 'PASS' : 'FAIL'} ${r.name} (${r.assertions.filter((a) => a.passed).length}/${r.assertions.length} assertions, ${(r.durationMs / 1000).toFixed(1)} s)\n`,
        ),
      finish: (rs, m) => {
        const passed = rs.filter((r) => r.passed).length;
        write(
          `\n${passed} of ${rs.length} scenario${rs.length === 1 ? '' : 's'} passed (seed ${m.seed}; replay with --seed ${m.seed})\n`,
        );
      },
    };
  }
  const quiet = { start() {}, assertion() {}, log() {}, end() {} };
  if (name === 'json') {
    return {
      ...quiet,
      finish: (rs, m) =>
        write(`${JSON.stringify({ passed: rs.every((r) => r.passed), seed: m.seed, scenarios: rs }, null, 2)}\n`),
    };
  }
  return {
    ...quiet,
    finish: (rs) =>
      write(
        junit(
          'pulse-mock scenarios',
          rs.map((r) => ({ name: r.name, durationMs: r.durationMs, failures: r.assertions.filter((a) => !a.passed) })),
        ),
      ),
  };
}

/** A JUnit XML document: one testsuite, one testcase per item. */
export function junit(
  suite: string,
  cases: {
    name: string;
    durationMs: number;
    failures: { message: string; detail?: string; type?: string }[];
    /** Why the case was not run or not graded. */
    skipped?: string;
  }[],
): string {
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const failed = cases.filter((c) => c.failures.length > 0).length;
  const total = cases.reduce((s, c) => s + c.durationMs, 0) / 1000;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const counts = `tests="${cases.length}" failures="${failed}"`;
  const body = cases
    .map((c) => {
      const skip = c.skipped !== undefined ? `      <skipped message="${esc(c.skipped)}" />\n` : '';
      const inner =
        skip +
        c.failures
          .map(
            (f) =>
              `      <failure message="${esc(f.message)}"${f.type ? ` type="${esc(f.type)}"` : ''}>${esc(f.detail ?? f.message)}</failure>\n`,
          )
          .join('');
      return `    <testcase classname="${esc(suite)}" name="${esc(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"${inner ? `>\n${inner}    </testcase>` : ' />'}\n`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${counts} time="${total.toFixed(3)}">\n  <testsuite name="${esc(suite)}" ${counts}${skipped ? ` skipped="${skipped}"` : ''} time="${total.toFixed(3)}">\n${body}  </testsuite>\n</testsuites>\n`;
}
