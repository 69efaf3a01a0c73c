import { SkippingClock, systemClock } from '../clock.js';
import type { PulseMockOptions } from '../index.js';
import { startFromOptions } from '../server/start.js';
import { generateSecret } from '../delivery/signing.js';
import { preloadHttpTransport } from '../delivery/transport.js';
import { apiActivity, createContext } from './context.js';
import type { RequestRecord } from '../core/request-log.js';
import type { ScenarioContext, SentEvent } from './define.js';
import type { SignatureFault } from '../faults/fault-plan.js';
import { checkPassed, type CheckId, type CheckReport, type CheckResult } from './check-report.js';
import {
  EFFECT_CHECK_IDS,
  NOT_GRADED,
  runCleanRun,
  runEffectChecks,
  type CleanRun,
  type EffectChecksEnv,
} from './effect-checks.js';
import { answer, is2xx, is4xx, mustAccept, mustReject, type Graded, type Severity } from './grading.js';
import { effectsOption, resolveTarget, type TargetOptions } from './consumer-target.js';

export { SEVERITIES, type Severity } from './grading.js';
export {
  CHECK_IDS,
  REACHABLE_CHECK,
  formatCheckReport,
  type CheckId,
  type CheckReport,
  type CheckResult,
} from './check-report.js';

const FAST_MS = 2000;
/** Pulse's advice: acknowledge within 5 s. */
const PULSE_LIMIT_MS = 5000;

/** What the check needs besides the context: jobs the mock has, and the effect checks' means. */
interface CheckEnv {
  waitForJob(id: string): Promise<void>;
  /** Absent without an effects probe: the effect checks are then not graded. */
  effects?: EffectChecksEnv;
  /** The consumer's label in messages (its URL, or what kind of in-process handler). */
  label: string;
  /** When an API call was made, by the wall (the log keeps mock time, which runs ahead). */
  wallAt(r: RequestRecord): number;
}

async function runChecks(ctx: ScenarioContext, env: CheckEnv): Promise<CheckResult[]> {
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
  const add = (id: CheckId, r: Graded, own?: Pick<CheckResult, 'evidence' | 'durationMs'>) => {
    const now = systemClock.now();
    out.push({
      id,
      passed: r.passed,
      graded: r.passed !== null,
      severity: r.passed === false ? (r.severity ?? 'warning') : 'info',
      detail: r.detail,
      evidence: own?.evidence ?? evidence(),
      durationMs: own?.durationMs ?? now - mark,
    });
    mark = now;
    sent = [];
  };
  // The job completes (and its result is made) while the signature checks wait on the consumer;
  // only the checks about what the consumer fetched need it done.
  const jobId = await ctx.submitJob({ processingMs: 10 });
  const jobDone = env.waitForJob(jobId);
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
      graded: true,
      severity: 'critical',
      detail: `nothing answers at ${env.label} (${valid.error}): start the consumer, or check --target`,
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
  const unlabelled = await send('job.completed', completed, { fault: 'malformed-header' });
  const forged = mustReject('a v2 signature made with another secret', forgedV2);
  const mislabelled = [
    ['labelled v2', labelledV2],
    ['with no version label', unlabelled],
  ] as const;
  const taken = mislabelled.filter(([, r]) => is2xx(r));
  const refusedBadly = mislabelled.find(([, r]) => !is2xx(r) && !is4xx(r));
  add(
    'unknown-version-rejected',
    !forged.passed
      ? forged
      : taken.length > 0
        ? {
            passed: false,
            severity: 'warning',
            detail: `accepted a correct HMAC ${taken.map(([w, r]) => `${w} (${answer(r)})`).join(' and ')}: the version label is ignored; take only "v1," signatures, as the svix and standardwebhooks libraries do`,
          }
        : refusedBadly
          ? mustReject(`a correct HMAC ${refusedBadly[0]}`, refusedBadly[1])
          : { passed: true, detail: 'rejected a v2 forgery, and a correct HMAC labelled v2 or with no label' },
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
  await jobDone;
  const clean = await gradeEffects(env.effects, add);
  add(
    'fetches-job-after-completion',
    await gradeFetch(ctx, env, clean ? { ...clean, oneLifecycle: true } : { jobId, since }),
  );
  return out;
}

/** The effect checks through the probe, or each "not graded" without one. */
async function gradeEffects(
  effects: EffectChecksEnv | undefined,
  add: (id: CheckId, r: Graded, own?: Pick<CheckResult, 'evidence' | 'durationMs'>) => void,
): Promise<CleanRun | undefined> {
  if (!effects) {
    for (const id of EFFECT_CHECK_IDS) add(id, NOT_GRADED, { evidence: [], durationMs: 0 });
    return undefined;
  }
  const clean = await runCleanRun(effects);
  add(clean.outcome.id, clean.outcome.graded, clean.outcome);
  for (const o of await runEffectChecks(effects, clean.baseline)) add(o.id, o.graded, o);
  return clean;
}

/**
 * Whether the consumer fetched GET /job after job.completed: with the probe, for the clean run,
 * and before its first act (an act seen before the held answer came was made on the payload).
 */
async function gradeFetch(
  ctx: ScenarioContext,
  env: Pick<CheckEnv, 'wallAt'>,
  job: { jobId: string; since?: number; firstActSeenAt?: number; oneLifecycle?: boolean },
): Promise<Graded> {
  const { jobId } = job;
  const poll = (r: RequestRecord) =>
    r.route === 'poll' && r.jobId === jobId && env.wallAt(r) >= (job.since ?? 0) - 1000;
  // Within 5 s of the delivery, however long the checks between took.
  const first = await ctx.waitForRequest(
    poll,
    Math.max(0, (job.since ?? systemClock.now()) + 5000 - systemClock.now()),
  );
  if (!first)
    return {
      passed: false,
      detail: `no GET /job/${jobId} on ${ctx.api.url} within 5 s of job.completed: treat the webhook as a notification and fetch the job; point the consumer's Pulse base URL at ${ctx.api.url}`,
    };
  if (job.firstActSeenAt !== undefined && job.firstActSeenAt < env.wallAt(first))
    return {
      passed: false,
      detail: `acted on ${jobId} before GET /job/${jobId} answered (the mock held its answer ${HELD_POLL_MS} ms): the act was made on the payload alone; fetch the job first and act on what GET /job returns`,
    };
  // Only the clean run is one lifecycle; the signature checks send job.completed many times.
  const polls = ctx.requests({ route: 'poll', jobId }).filter((r) => r.status === 200).length;
  if (job.oneLifecycle && polls > 1)
    return {
      passed: false,
      severity: 'info',
      detail: `fetched GET /job/${jobId} ${polls} times for one lifecycle: fine, though once per job is enough (dedupe on webhook-id, fetch on the final event)`,
    };
  return {
    passed: true,
    detail: `called GET /job/${jobId} after job.completed${job.firstActSeenAt !== undefined ? ', before acting' : ''}`,
  };
}

/** How long the mock holds GET /job during the clean run, so an act before its answer shows. */
const HELD_POLL_MS = 300;

/** What `runCheck` takes: the consumer (a URL or an in-process handler) and how to grade it. */
export interface CheckOptions extends TargetOptions {
  seed?: number;
  mock?: Partial<PulseMockOptions>;
  /** The least severity that fails the run (default `warning`: info findings do not). */
  failOn?: Severity;
}

/**
 * Grades a webhook consumer against Pulse's Production Checklist: signatures, tolerance, speed,
 * and (with an effects probe) what it did about each job.
 *
 * @example
 * const report = await runCheck({ target: 'http://127.0.0.1:3000/webhooks/pulse', secret, effects: 'http://127.0.0.1:3000/_test/effects/{job_id}' });
 * if (!report.passed) console.log(formatCheckReport(report, 'pretty'));
 */
export async function runCheck(o: CheckOptions): Promise<CheckReport> {
  const failOn = o.failOn ?? 'warning';
  const target = resolveTarget(o.target);
  const started = systemClock.now();
  // The check's first send should not wait for the HTTP client to load: it loads beside the mock.
  if (!target.inProcess) preloadHttpTransport();
  // Its jobs skip ahead whenever the check waits on them and nothing is in flight.
  const clock = new SkippingClock();
  // No endpoints: every delivery in a check is sent deliberately by the check itself.
  const server = await startFromOptions({
    processingMs: 10,
    queueMs: 5,
    ...o.mock,
    port: o.apiPort ?? 0,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    webhookSecret: o.secret,
    clock,
  });
  const { mock, runtime } = server;
  const startupMs = systemClock.now() - started;
  const activity = apiActivity(runtime);
  const cleanups: (() => Promise<void>)[] = [async () => activity.stop()];
  try {
    await o.onApi?.(mock.url);
    const probe = effectsOption(o).effects;
    const ctx = createContext(server, {
      target,
      secret: o.secret,
      onAssertion: () => {},
      onLog: () => {},
      onCleanup: (f) => cleanups.push(f),
      ...(probe ? { effects: probe } : {}),
    });
    const final = (id: string) => clock.drive(mock.waitForJob(id, { timeoutMs: 5000 }));
    const env: CheckEnv = {
      label: target.label,
      wallAt: (r) => activity.wallAt(r) ?? r.at - clock.skippedMs,
      waitForJob: async (id) => {
        await clock.drive(mock.waitForJob(id, { status: 'completed', timeoutMs: 5000 })).catch(() => undefined);
      },
      ...(probe
        ? {
            effects: {
              ctx,
              read: probe.read,
              settle: { ...probe.settle, activityAt: activity.lastAbout },
              truth: async (id) => (await final(id)).status,
              async job(outcome) {
                const id = await ctx.submitJob(
                  outcome === 'cancelled'
                    ? { processingMs: 60_000 }
                    : { processingMs: 10, ...(outcome === 'failed' ? { outcome: 'failed' } : {}) },
                );
                if (outcome === 'cancelled') await ctx.cancelJob(id);
                await final(id);
                return id;
              },
              heldMs: HELD_POLL_MS,
              async holdingPolls(fn) {
                runtime.faults.set([{ fault: { kind: 'api-latency', ms: HELD_POLL_MS }, scope: { routes: ['poll'] } }]);
                try {
                  return await fn();
                } finally {
                  runtime.faults.set([]);
                }
              },
            },
          }
        : {}),
    };
    const checks = await runChecks(ctx, env);
    return {
      passed: checkPassed(checks, failOn),
      failOn,
      target: target.label,
      api: ctx.api,
      checks,
      durationMs: systemClock.now() - started,
      startupMs,
    };
  } finally {
    await mock.close();
    for (const f of cleanups) await f();
  }
}
