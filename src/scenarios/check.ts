import { systemClock } from '../clock.js';
import type { PulseMockOptions } from '../index.js';
import { startFromOptions } from '../server/start.js';
import { generateSecret } from '../delivery/signing.js';
import { createContext } from './context.js';
import type { ScenarioContext, SentEvent } from './define.js';
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
  'fetches-job-after-completion',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface CheckResult {
  id: CheckId;
  passed: boolean;
  detail: string;
}

export interface CheckReport {
  passed: boolean;
  target: string;
  api: { url: string; apiKey: string };
  checks: CheckResult[];
}

const FAST_MS = 2000;
const is2xx = (r: SentEvent) => r.status !== undefined && r.status >= 200 && r.status < 300;
const is4xx = (r: SentEvent) => r.status !== undefined && r.status >= 400 && r.status < 500;
const answer = (r: SentEvent) =>
  r.status !== undefined ? `${r.status} in ${r.durationMs} ms` : `no answer (${r.error})`;

function mustReject(what: string, r: SentEvent): { passed: boolean; detail: string } {
  if (is4xx(r)) return { passed: true, detail: `rejected ${what} (${answer(r)})` };
  if (is2xx(r))
    return {
      passed: false,
      detail: `accepted ${what} (${r.status}): the consumer does not verify signatures properly`,
    };
  if (r.status !== undefined)
    return {
      passed: false,
      detail: `answered ${r.status} to ${what}: reject with a 4xx (400/401), do not fail with a 5xx`,
    };
  return { passed: false, detail: `no answer to ${what}: ${r.error}` };
}

function mustAccept(what: string, r: SentEvent, hint: string): { passed: boolean; detail: string } {
  if (is2xx(r)) return { passed: true, detail: `accepted ${what} (${answer(r)})` };
  if (r.status === undefined) return { passed: false, detail: `no answer to ${what}: ${r.error}` };
  return { passed: false, detail: `answered ${r.status} to ${what}: ${hint}` };
}

async function runChecks(ctx: ScenarioContext, waitForJob: (id: string) => Promise<void>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const add = (id: CheckId, r: { passed: boolean; detail: string }) => out.push({ id, ...r });
  const jobId = await ctx.submitJob({ processingMs: 10 });
  await waitForJob(jobId);
  const completed = { job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 0.1 };
  const since = systemClock.now();

  const valid = await ctx.send('job.completed', completed);
  const validHint =
    valid.status !== undefined && valid.status >= 500
      ? 'every valid delivery failing with a 5xx often means the consumer base64-decodes the secret with its whsec_ prefix, as the snippet in Pulse\'s docs does: decode only the part after "whsec_", or use the svix/standardwebhooks library'
      : 'a correctly signed delivery was refused: check the consumer uses this same whsec_ secret and verifies the raw body bytes, not re-serialised JSON';
  add('valid-signature-accepted', mustAccept('a correctly signed job.completed', valid, validHint));
  add(
    'wrong-secret-rejected',
    mustReject(
      'a delivery signed with another secret',
      await ctx.send('job.completed', completed, { fault: 'wrong-secret' }),
    ),
  );
  add(
    'tampered-body-rejected',
    mustReject('a body changed after signing', await ctx.send('job.completed', completed, { fault: 'tampered-body' })),
  );
  const missing = await Promise.all(
    (['missing-id', 'missing-timestamp', 'missing-signature'] as const).map((f) =>
      ctx.send('job.completed', completed, { fault: f }),
    ),
  );
  const badMissing = missing
    .map((r, i) => [['webhook-id', 'webhook-timestamp', 'webhook-signature'][i], r] as const)
    .filter(([, r]) => !is4xx(r));
  add(
    'missing-headers-rejected',
    badMissing.length === 0
      ? { passed: true, detail: 'rejected deliveries missing webhook-id, webhook-timestamp or webhook-signature' }
      : { passed: false, detail: badMissing.map(([h, r]) => `without ${h}: ${mustReject('it', r).detail}`).join('; ') },
  );
  add(
    'stale-timestamp-rejected',
    mustReject(
      'a timestamp 10 minutes old (a replay)',
      await ctx.send('job.completed', completed, { fault: 'stale-timestamp' }),
    ),
  );
  add(
    'future-timestamp-rejected',
    mustReject(
      'a timestamp 10 minutes ahead',
      await ctx.send('job.completed', completed, { fault: 'future-timestamp' }),
    ),
  );
  add(
    'unknown-version-rejected',
    mustReject(
      'only a v2 signature (unknown version)',
      await ctx.send('job.completed', completed, { fault: 'unknown-version' }),
    ),
  );
  add(
    'fast-response',
    is2xx(valid) && valid.durationMs < FAST_MS
      ? { passed: true, detail: `answered a valid delivery in ${valid.durationMs} ms` }
      : {
          passed: false,
          detail: is2xx(valid)
            ? `took ${valid.durationMs} ms to answer: acknowledge first (< 5 s, ideally far less) and queue slow work`
            : `no 2xx to a valid delivery (${answer(valid)})`,
        },
  );
  const dupA = await ctx.send('job.completed', completed);
  const dupB = await ctx.send('job.completed', completed, { messageId: dupA.messageId });
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
      await ctx.send('job.archived', completed),
      'ignore unknown event types with a 2xx so new Pulse events never break you',
    ),
  );
  const early = await ctx.send('job.completed', completed);
  const late = await ctx.send('job.processing', { ...completed, status: 'processing', pages_processed: 0 });
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
      await ctx.send('job.completed', completed, { secrets: [generateSecret(), ctx.secret] }),
      'check every space-separated "v1,<sig>" in webhook-signature; the snippet in Pulse\'s docs splits on the first comma only and rejects every delivery while a secret rotates',
    ),
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
}): Promise<CheckReport> {
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
    return { passed: checks.every((c) => c.passed), target: o.target, api: ctx.api, checks };
  } finally {
    await mock.close();
    for (const f of cleanups) await f();
  }
}

export function formatCheckReport(r: CheckReport, reporter: ReporterName): string {
  if (reporter === 'json') return `${JSON.stringify({ passed: r.passed, checks: r.checks }, null, 2)}\n`;
  if (reporter === 'junit')
    return junit(
      'pulse-mock check',
      r.checks.map((c) => ({ name: c.id, durationMs: 0, failures: c.passed ? [] : [{ message: c.detail }] })),
    );
  const width = Math.max(...r.checks.map((c) => c.id.length));
  const lines = r.checks.map((c) => `  ${c.passed ? '✓' : '✗'} ${c.id.padEnd(width)}  ${c.detail}`);
  const passed = r.checks.filter((c) => c.passed).length;
  return `[pulse-mock] conformance check of ${r.target}\n${lines.join('\n')}\n\n${passed}/${r.checks.length} checks passed${r.passed ? '' : ' (see the details above)'}\n`;
}
