import { systemClock } from '../clock.js';
import type { PulseMockOptions } from '../index.js';
import { startFromOptions } from '../server/start.js';
import { generateSecret } from '../delivery/signing.js';
import { createContext } from './context.js';
import type { ScenarioContext, SentEvent } from './define.js';
import type { SignatureFault } from '../faults/fault-plan.js';
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
  'fetches-job-after-completion',
] as const;
/** Reported alone, and nothing else tried, when nothing answers at the target. */
export const REACHABLE_CHECK = 'consumer-reachable';
export type CheckId = (typeof CHECK_IDS)[number] | typeof REACHABLE_CHECK;

/** What a failed check costs (`--fail-on` sets which fail the run). */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export interface CheckResult {
  id: CheckId;
  passed: boolean;
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
}

/** A check's grade before its timing is added. */
type Graded = { passed: boolean; detail: string; severity?: Severity };

const FAST_MS = 2000;
/** Pulse's advice: acknowledge within 5 s. */
const PULSE_LIMIT_MS = 5000;
const is2xx = (r: SentEvent) => r.status !== undefined && r.status >= 200 && r.status < 300;
const is4xx = (r: SentEvent) => r.status !== undefined && r.status >= 400 && r.status < 500;
const answer = (r: SentEvent) =>
  r.status !== undefined ? `${r.status} in ${r.durationMs} ms` : `no answer (${r.error})`;

/**
 * A delivery a verifier must refuse. Accepting it is critical (a forgery or a replay acts);
 * refusing it with a 5xx or not answering is a warning (nothing acts, but Pulse retries it).
 */
function mustReject(what: string, r: SentEvent): Graded {
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
function mustAccept(what: string, r: SentEvent, hint: string, severity: Severity = 'warning'): Graded {
  if (is2xx(r)) return { passed: true, detail: `accepted ${what} (${answer(r)})` };
  if (r.status === undefined) return { passed: false, severity, detail: `no answer to ${what}: ${r.error}` };
  return { passed: false, severity, detail: `answered ${r.status} to ${what}: ${hint}` };
}

async function runChecks(ctx: ScenarioContext, waitForJob: (id: string) => Promise<void>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  // Each check's time runs from the end of the one before; what it sent is kept as its evidence.
  let mark = systemClock.now();
  let sent: { what: string; r: SentEvent }[] = [];
  const send: ScenarioContext['send'] = async (type, data, options) => {
    const r = await ctx.send(type, data, options);
    const how = [
      options?.fault,
      options?.secrets ? `signed with ${options.secrets.length} secret(s)` : undefined,
      options?.messageId ? 'a reused webhook-id' : undefined,
    ].filter(Boolean);
    sent.push({ what: `${type}${how.length ? ` (${how.join(', ')})` : ''}, webhook-id ${r.messageId}`, r });
    return r;
  };
  const evidence = () =>
    sent.map(({ what, r }) => ({
      sent: what,
      got: `${answer(r)}${r.responseBody ? `: ${r.responseBody.slice(0, 120)}` : ''}`,
    }));
  const add = (id: CheckId, r: Graded) => {
    const now = systemClock.now();
    out.push({
      id,
      passed: r.passed,
      severity: r.passed ? 'info' : (r.severity ?? 'warning'),
      detail: r.detail,
      evidence: evidence(),
      durationMs: now - mark,
    });
    mark = now;
    sent = [];
  };
  const jobId = await ctx.submitJob({ processingMs: 10 });
  await waitForJob(jobId);
  const completed = { job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 0.1 };
  const since = systemClock.now();
  mark = since;
  /** A check that one job.completed, broken the `fault` way, is refused. */
  const rejects = async (id: CheckId, what: string, fault: SignatureFault) =>
    add(id, mustReject(what, await send('job.completed', completed, { fault })));

  const valid = await send('job.completed', completed);
  if (valid.status === undefined && valid.error !== undefined && !/timeout/i.test(valid.error)) {
    // Nothing answers there: one finding, nothing else tried.
    out.push({
      id: 'consumer-reachable',
      passed: false,
      severity: 'critical',
      detail: `nothing answers at ${ctx.target} (${valid.error}): start the consumer, or check --target`,
      evidence: evidence(),
      durationMs: systemClock.now() - mark,
    });
    return out;
  }
  const validHint =
    valid.status !== undefined && valid.status >= 500
      ? 'every valid delivery failing with a 5xx often means the consumer base64-decodes the secret with its whsec_ prefix, as the snippet in Pulse\'s docs does: decode only the part after "whsec_", or use the svix/standardwebhooks library'
      : 'a correctly signed delivery was refused: check the consumer uses this same whsec_ secret and verifies the raw body bytes, not re-serialised JSON';
  // Refusing every valid delivery loses every job's state.
  add('valid-signature-accepted', mustAccept('a correctly signed job.completed', valid, validHint, 'critical'));
  await rejects('wrong-secret-rejected', 'a delivery signed with another secret', 'wrong-secret');
  await rejects('tampered-body-rejected', 'a body changed after signing', 'tampered-body');
  const missing = await Promise.all(
    (['missing-id', 'missing-timestamp', 'missing-signature'] as const).map((f) =>
      send('job.completed', completed, { fault: f }),
    ),
  );
  const badMissing = missing
    .map((r, i) => [['webhook-id', 'webhook-timestamp', 'webhook-signature'][i], mustReject('it', r)] as const)
    .filter(([, g]) => !g.passed);
  add(
    'missing-headers-rejected',
    badMissing.length === 0
      ? { passed: true, detail: 'rejected deliveries missing webhook-id, webhook-timestamp or webhook-signature' }
      : {
          passed: false,
          // As bad as the worst: accepting any one of them is a forgery acted on.
          severity: badMissing.some(([, g]) => g.severity === 'critical') ? 'critical' : 'warning',
          detail: badMissing.map(([h, g]) => `without ${h}: ${g.detail}`).join('; '),
        },
  );
  await rejects('stale-timestamp-rejected', 'a timestamp 10 minutes old (a replay)', 'stale-timestamp');
  await rejects('future-timestamp-rejected', 'a timestamp 10 minutes ahead', 'future-timestamp');
  // A v2 label on a signature made with another secret is a forgery; on a correct HMAC, only the
  // label is wrong (Pulse's own verify_webhook ignores it): the second costs less than the first.
  const forgedV2 = await send('job.completed', completed, { fault: 'unknown-version', secrets: [generateSecret()] });
  const labelledV2 = await send('job.completed', completed, { fault: 'unknown-version' });
  const forged = mustReject('a v2 signature made with another secret', forgedV2);
  add(
    'unknown-version-rejected',
    !forged.passed
      ? forged
      : is2xx(labelledV2)
        ? {
            passed: false,
            severity: 'warning',
            detail: `accepted a correct HMAC labelled v2 (${answer(labelledV2)}): the version label is ignored; take only "v1," signatures, as the svix and standardwebhooks libraries do`,
          }
        : mustReject('only a v2 signature (unknown version)', labelledV2),
  );
  add(
    'fast-response',
    is2xx(valid) && valid.durationMs < FAST_MS
      ? { passed: true, detail: `answered a valid delivery in ${valid.durationMs} ms` }
      : {
          passed: false,
          severity: is2xx(valid) && valid.durationMs < PULSE_LIMIT_MS ? 'info' : 'warning',
          detail: is2xx(valid)
            ? `took ${valid.durationMs} ms to answer: acknowledge first (< 5 s, ideally far less) and queue slow work`
            : `no 2xx to a valid delivery (${answer(valid)})`,
        },
  );
  const dupA = await send('job.completed', completed);
  const dupB = await send('job.completed', completed, { messageId: dupA.messageId });
  add(
    'duplicate-tolerated',
    is2xx(dupA) && is2xx(dupB)
      ? { passed: true, detail: 'acknowledged the same webhook-id twice' }
      : {
          passed: false,
          detail: `first ${answer(dupA)}, copy ${answer(dupB)}: the same event may arrive twice; dedupe on webhook-id and answer 2xx`,
        },
  );
  add(
    'unknown-event-tolerated',
    mustAccept(
      'an event type it does not know (job.archived)',
      await send('job.archived', completed),
      'ignore unknown event types with a 2xx so new Pulse events never break you',
    ),
  );
  const early = await send('job.completed', completed);
  const late = await send('job.processing', { ...completed, status: 'processing', pages_processed: 0 });
  add(
    'out-of-order-tolerated',
    is2xx(early) && is2xx(late)
      ? { passed: true, detail: 'acknowledged job.processing arriving after job.completed' }
      : {
          passed: false,
          detail: `job.completed: ${answer(early)}, then job.processing: ${answer(late)}: order is not guaranteed; fetch GET /job/{id} for the truth`,
        },
  );
  add(
    'multi-signature-accepted',
    mustAccept(
      'a header with an old and a current signature (as during a secret rotation)',
      await send('job.completed', completed, { secrets: [generateSecret(), ctx.secret] }),
      'check every space-separated "v1,<sig>" in webhook-signature; the snippet in Pulse\'s docs splits on the first comma only and rejects every delivery while a secret rotates',
    ),
  );
  // The Standard Webhooks reference libraries' edge cases.
  await rejects('partial-signature-rejected', '"v1," with no signature after it', 'partial-signature');
  await rejects('non-numeric-timestamp-rejected', 'a webhook-timestamp that is not a number', 'non-numeric-timestamp');
  await rejects(
    'reserialized-body-rejected',
    'the signed JSON re-serialised (other whitespace) after signing',
    'reserialized-body',
  );
  add(
    'v2-beside-v1-accepted',
    mustAccept(
      'a v2 signature beside a valid v1 one',
      await send('job.completed', completed, { fault: 'v2-beside-v1' }),
      'take the first "v1," signature that matches and skip versions you do not know',
    ),
  );
  const nowS = Math.floor(systemClock.now() / 1000);
  const near = [
    await send('job.completed', completed, { timestamp: nowS - 290 }),
    await send('job.completed', completed, { timestamp: nowS + 290 }),
  ];
  const nearBad = near.find((r) => !is2xx(r));
  add(
    'timestamp-within-tolerance-accepted',
    nearBad
      ? mustAccept(
          'a timestamp 4 min 50 s old or ahead (inside the 5-minute tolerance)',
          nearBad,
          'allow 5 minutes either way: clocks drift, and retries are signed afresh',
        )
      : { passed: true, detail: 'accepted timestamps 4 min 50 s old and ahead' },
  );
  const far = [
    await send('job.completed', completed, { timestamp: nowS - 310 }),
    await send('job.completed', completed, { timestamp: nowS + 310 }),
  ];
  const farBad = far.find((r) => !is4xx(r));
  add(
    'timestamp-past-tolerance-rejected',
    farBad
      ? is2xx(farBad)
        ? {
            passed: false,
            severity: 'warning',
            detail: `accepted a timestamp 5 min 10 s old or ahead (${answer(farBad)}): the tolerance is looser than 5 minutes, which widens the window for a replay`,
          }
        : mustReject('a timestamp 5 min 10 s old or ahead', farBad)
      : { passed: true, detail: 'rejected timestamps 5 min 10 s old and ahead' },
  );
  const fetched = await ctx.waitForRequest(
    (r) => r.route === 'poll' && r.jobId === jobId && r.at >= since - 1000,
    5000,
  );
  add(
    'fetches-job-after-completion',
    fetched
      ? { passed: true, detail: `called GET /job/${jobId} after job.completed` }
      : {
          passed: false,
          detail: `no GET /job/${jobId} on ${ctx.api.url} within 5 s of job.completed: treat the webhook as a notification and fetch the job; point the consumer's Pulse base URL at ${ctx.api.url}`,
        },
  );
  return out;
}

export async function runCheck(o: {
  target: string;
  secret: string;
  apiPort?: number;
  seed?: number;
  mock?: Partial<PulseMockOptions>;
  /** The least severity that fails the run (default `warning`: info findings do not). */
  failOn?: Severity;
}): Promise<CheckReport> {
  const failOn = o.failOn ?? 'warning';
  // No endpoints: every delivery in a check is sent deliberately by the check itself.
  const server = await startFromOptions({
    processingMs: 10,
    queueMs: 5,
    ...o.mock,
    port: o.apiPort ?? 0,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    webhookSecret: o.secret,
  });
  const { mock } = server;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const ctx = createContext(server, {
      target: o.target,
      secret: o.secret,
      onAssertion: () => {},
      onLog: () => {},
      onCleanup: (f) => cleanups.push(f),
    });
    const waitForJob = async (id: string) => {
      await mock.waitForJob(id, { status: 'completed', timeoutMs: 5000 }).catch(() => undefined);
    };
    const checks = await runChecks(ctx, waitForJob);
    return { passed: !checks.some((c) => fails(c, failOn)), failOn, target: o.target, api: ctx.api, checks };
  } finally {
    await mock.close();
    for (const f of cleanups) await f();
  }
}

/** Whether a check's failure fails the run at `failOn`. */
function fails(c: CheckResult, failOn: Severity): boolean {
  return !c.passed && SEVERITIES.indexOf(c.severity) <= SEVERITIES.indexOf(failOn);
}

const MARK: Record<Severity, string> = { critical: '✗', warning: '!', info: 'i' };

export function formatCheckReport(r: CheckReport, reporter: ReporterName): string {
  if (reporter === 'json')
    return `${JSON.stringify({ passed: r.passed, failOn: r.failOn, checks: r.checks }, null, 2)}\n`;
  if (reporter === 'junit')
    return junit(
      'pulse-mock check',
      r.checks.map((c) => ({
        name: c.id,
        durationMs: c.durationMs,
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
  const lines = r.checks.map(
    (c) =>
      `  ${c.passed ? '✓' : MARK[c.severity]} ${c.id.padEnd(width)}  ${c.passed ? '' : `${c.severity}: `}${c.detail}`,
  );
  const passed = r.checks.filter((c) => c.passed).length;
  const count = (s: Severity) => r.checks.filter((c) => !c.passed && c.severity === s).length;
  const findings = SEVERITIES.map((s) => `${count(s)} ${s}`).join(', ');
  return `[pulse-mock] conformance check of ${r.target}\n${lines.join('\n')}\n\n${passed}/${r.checks.length} checks passed (${findings}; failing on ${r.failOn} and above)${r.passed ? '' : ': see the details above'}\n`;
}
