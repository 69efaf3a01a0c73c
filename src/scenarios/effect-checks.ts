import { systemClock } from '../clock.js';
import type { ScenarioContext, SentEvent } from './define.js';
import { answer, type Graded } from './grading.js';
import { settleEffects, type ConsumerEffects, type SettledEffects, type SettleOptions } from './effects.js';

/**
 * The checks that read what a consumer did (its effects probe), not how it answered: a 2xx
 * says nothing about a charge made twice or a job left in the wrong state.
 */
export const EFFECT_CHECK_IDS = [
  'clean-run-acts',
  'duplicate-acts-once',
  'redelivery-acts-once',
  'out-of-order-final-state',
  'payload-status-not-trusted',
  'failed-job-recorded',
  'cancelled-job-recorded',
] as const;
export type EffectCheckId = (typeof EFFECT_CHECK_IDS)[number];

export const NOT_GRADED: Graded = {
  passed: null,
  detail:
    'not graded (no effects probe): give the check --effects-url (or `effects` in-process) so it can see what the consumer did, not only what it answered',
};

/** A job's status as the consumer recorded it, compared as the API says it (either spelling of canceled). */
export function sameStatus(recorded: string | null, truth: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace('cancelled', 'canceled');
  return recorded !== null && norm(recorded) === norm(truth);
}

const times = (n: number) => `${n} time${n === 1 ? '' : 's'}`;
const shown = (e: ConsumerEffects) => `status ${JSON.stringify(e.status)}, acted ${e.acted}`;
const unsettled = (s: SettledEffects) => (s.settled ? '' : ' (its effects were still changing when the wait ended)');

/** The probe's failure, when there is one: a setup problem, graded as a warning. */
function unread(s: SettledEffects): Graded | undefined {
  if (s.error)
    return { passed: false, severity: 'warning', detail: `could not read the consumer's effects: ${s.error}` };
  if (!s.effects) return { passed: false, severity: 'warning', detail: "the consumer's effects were never read" };
  return undefined;
}

/** One clean lifecycle: the job recorded as GET /job says, and at least one act (its work done). */
export function gradeCleanRun(s: SettledEffects, truth: string): Graded {
  const problem = unread(s);
  if (problem) return problem;
  const e = s.effects!;
  if (e.acted === 0)
    return {
      passed: false,
      severity: 'critical',
      detail: `after a clean created -> processing -> completed lifecycle the consumer reports ${shown(e)}${unsettled(s)}: it never acted on a completed job, so every job's work is lost; act when the job is completed (or check what the effects probe counts)`,
    };
  if (!sameStatus(e.status, truth))
    return {
      passed: false,
      severity: 'critical',
      detail: `after a clean lifecycle the consumer recorded ${JSON.stringify(e.status)}, but GET /job says "${truth}"${unsettled(s)}: record the status GET /job/{id} returns`,
    };
  return { passed: true, detail: `a clean lifecycle: ${shown(e)} (the baseline for the checks below)` };
}

/** Repeated deliveries (duplicates, redeliveries) act no more than a clean lifecycle, and keep the state. */
export function gradeRepeats(what: string, s: SettledEffects, truth: string, baseline: number): Graded {
  const problem = unread(s);
  if (problem) return problem;
  const e = s.effects!;
  if (e.acted > baseline)
    return {
      passed: false,
      severity: 'critical',
      detail: `with ${what} the consumer acted ${times(e.acted)} where one clean lifecycle acts ${times(baseline)}${unsettled(s)}: it acts again on every copy (a double charge); record each webhook-id it has processed and skip the ones it has seen, and make the work idempotent per job`,
    };
  if (!sameStatus(e.status, truth))
    return {
      passed: false,
      severity: 'critical',
      detail: `with ${what} the consumer ended with ${JSON.stringify(e.status)}, but GET /job says "${truth}"${unsettled(s)}`,
    };
  return { passed: true, detail: `with ${what}: ${shown(e)}, as a clean lifecycle` };
}

/**
 * The state a consumer ends with equals what GET /job says. `claimed`: the status the payload
 * claimed when it differs from the truth (recording it means the payload was trusted).
 */
export function gradeFinalState(what: string, s: SettledEffects, truth: string, claimed?: string): Graded {
  const problem = unread(s);
  if (problem) return problem;
  const e = s.effects!;
  if (sameStatus(e.status, truth)) return { passed: true, detail: `${what}: recorded "${e.status}", as GET /job says` };
  if (claimed !== undefined && sameStatus(e.status, claimed))
    return {
      passed: false,
      severity: 'critical',
      detail: `${what}: the consumer recorded "${e.status}" from the payload, but GET /job says "${truth}"${unsettled(s)}: a payload's data.status can be stale, forged or tampered; treat the webhook as a notification and record what GET /job/{id} returns`,
    };
  return {
    passed: false,
    severity: 'critical',
    detail: `${what}: the consumer ended with ${JSON.stringify(e.status)}, but GET /job says "${truth}"${unsettled(s)}: events arrive in any order and more than once; fetch GET /job/{id} and never move a job back from a final status`,
  };
}

type Lifecycle = [type: string, data: Record<string, unknown>][];

/** The events a job of this outcome gives, in order, as Pulse sends them. */
export function lifecycle(jobId: string, end: 'completed' | 'failed' | 'cancelled'): Lifecycle {
  const data = (status: string, pages = 0, extra: Record<string, unknown> = {}) => ({
    job_id: jobId,
    status,
    pages_processed: pages,
    processing_time: 0.1,
    ...extra,
  });
  const last: Lifecycle[number] =
    end === 'completed'
      ? ['job.completed', data('completed', 1)]
      : end === 'failed'
        ? ['job.failed', data('failed', 0, { error: 'The document could not be processed' })]
        : ['job.cancelled', data('canceled')];
  return [['job.created', data('pending')], ['job.processing', data('processing')], last];
}

export interface EffectChecksEnv {
  ctx: ScenarioContext;
  read: (jobId: string) => Promise<ConsumerEffects>;
  settle: SettleOptions;
  /** The job's status as the mock's API says it, once final. */
  truth(jobId: string): Promise<string>;
  /** A job the mock has, ended this way. */
  job(outcome: 'completed' | 'failed' | 'cancelled'): Promise<string>;
  /** Runs `fn` with the mock answering GET /job slowly, so an act made before the answer shows. */
  holdingPolls<T>(fn: () => Promise<T>): Promise<T>;
  /** How long `holdingPolls` holds each answer (ms). */
  heldMs: number;
}

export interface EffectCheckOutcome {
  id: EffectCheckId;
  graded: Graded;
  evidence: { sent: string; got: string }[];
  durationMs: number;
}

/** The clean run: what one lifecycle gives, and when the consumer first acted. */
export interface CleanRun {
  jobId: string;
  /** When its first event was sent. */
  sentAt: number;
  baseline: number;
  firstActSeenAt?: number;
  outcome: EffectCheckOutcome;
}

const answers = (rs: SentEvent[]) => rs.map(answer).join(', ');

/** Sends each event in order and returns every answer. */
async function sendAll(ctx: ScenarioContext, events: Lifecycle): Promise<SentEvent[]> {
  const out: SentEvent[] = [];
  for (const [type, data] of events) out.push(await ctx.send(type, data));
  return out;
}

/**
 * The clean run first (its acts are the baseline), with GET /job held so an act before the
 * answer can be told from one after it.
 */
export async function runCleanRun(env: EffectChecksEnv): Promise<CleanRun> {
  const started = systemClock.now();
  const jobId = await env.job('completed');
  const events = lifecycle(jobId, 'completed');
  const sentAt = systemClock.now();
  const { sent, settled } = await env.holdingPolls(async () => {
    const sent = await sendAll(env.ctx, events);
    // The held answer is part of the consumer's work: it cannot settle before that comes.
    const quietMs = (env.settle.quietMs ?? 300) + env.heldMs;
    const settled = (await settleEffects(env.read, [jobId], systemClock.now(), { ...env.settle, quietMs })).get(jobId)!;
    return { sent, settled };
  });
  const graded = gradeCleanRun(settled, await env.truth(jobId));
  return {
    jobId,
    sentAt,
    baseline: settled.effects?.acted ?? 0,
    ...(settled.firstActSeenAt !== undefined ? { firstActSeenAt: settled.firstActSeenAt } : {}),
    outcome: {
      id: 'clean-run-acts',
      graded,
      evidence: [
        {
          sent: `${events.map(([t]) => t).join(', ')} for ${jobId}, each once`,
          got: `${answers(sent)}; effects: ${settled.effects ? shown(settled.effects) : (settled.error ?? 'none')}`,
        },
      ],
      durationMs: systemClock.now() - started,
    },
  };
}

/** The other effect checks, each on a job of its own, sent and settled together. */
export async function runEffectChecks(env: EffectChecksEnv, baseline: number): Promise<EffectCheckOutcome[]> {
  const { ctx } = env;
  const nowS = () => Math.floor(systemClock.now() / 1000);
  interface Plan {
    id: EffectCheckId;
    outcome: 'completed' | 'failed' | 'cancelled';
    what: string;
    send(jobId: string): Promise<SentEvent[]>;
    grade(s: SettledEffects, truth: string, jobId: string): Graded;
  }
  const plans: Plan[] = [
    {
      id: 'duplicate-acts-once',
      outcome: 'completed',
      what: 'every event sent twice, byte for byte (same webhook-id)',
      async send(jobId) {
        const out: SentEvent[] = [];
        for (const [type, data] of lifecycle(jobId, 'completed')) {
          const first = await ctx.send(type, data);
          out.push(first, await ctx.resend(first));
        }
        return out;
      },
      grade: (s, truth) => gradeRepeats('every event duplicated', s, truth, baseline),
    },
    {
      id: 'redelivery-acts-once',
      outcome: 'completed',
      what: 'a lifecycle, then job.completed redelivered (same webhook-id, signed afresh, as a retry or a resend)',
      async send(jobId) {
        const events = lifecycle(jobId, 'completed');
        const out = await sendAll(ctx, events);
        const [type, data] = events.at(-1)!;
        out.push(await ctx.send(type, data, { messageId: out.at(-1)!.messageId, timestamp: nowS() + 1 }));
        return out;
      },
      grade: (s, truth) => gradeRepeats('job.completed redelivered', s, truth, baseline),
    },
    {
      id: 'out-of-order-final-state',
      outcome: 'completed',
      what: 'job.completed, then job.processing, then job.created (the lifecycle reversed)',
      send: (jobId) => sendAll(ctx, lifecycle(jobId, 'completed').reverse()),
      grade: (s, truth) => gradeFinalState('with the lifecycle reversed', s, truth),
    },
    {
      id: 'payload-status-not-trusted',
      outcome: 'failed',
      what: 'a correctly signed job.completed with data.status "completed" for a job GET /job says failed',
      send: (jobId) => sendAll(ctx, lifecycle(jobId, 'completed')),
      grade: (s, truth) => gradeFinalState('told "completed" for a failed job', s, truth, 'completed'),
    },
    {
      id: 'failed-job-recorded',
      outcome: 'failed',
      what: 'job.created, job.processing, job.failed',
      send: (jobId) => sendAll(ctx, lifecycle(jobId, 'failed')),
      grade: (s, truth) => gradeFinalState('a failed job', s, truth),
    },
    {
      id: 'cancelled-job-recorded',
      outcome: 'cancelled',
      what: 'job.created, job.processing, job.cancelled',
      send: (jobId) => sendAll(ctx, lifecycle(jobId, 'cancelled')),
      grade: (s, truth) => gradeFinalState('a cancelled job', s, truth),
    },
  ];
  const started = systemClock.now();
  const jobs = await Promise.all(plans.map((p) => env.job(p.outcome)));
  const sent = await Promise.all(plans.map((p, i) => p.send(jobs[i]!)));
  const settled = await settleEffects(env.read, jobs, systemClock.now(), env.settle);
  const durationMs = systemClock.now() - started;
  return Promise.all(
    plans.map(async (p, i) => {
      const jobId = jobs[i]!;
      const s = settled.get(jobId)!;
      const truth = await env.truth(jobId);
      return {
        id: p.id,
        graded: p.grade(s, truth, jobId),
        evidence: [
          {
            sent: `${p.what}, for ${jobId}`,
            got: `${answers(sent[i]!)}; effects: ${s.effects ? shown(s.effects) : (s.error ?? 'none')}; GET /job says "${truth}"`,
          },
        ],
        durationMs,
      };
    }),
  );
}
