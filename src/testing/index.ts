/**
 * `pulse-mock/testing`: helpers for users' tests, whatever their test runner. Start the mock
 * in-process, sign a webhook (valid or broken) to test a handler alone. The vitest fixture is
 * `pulse-mock/vitest`, so that this module's types need no test runner installed.
 */
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames, messageId, type HeaderPrefix } from '../delivery/signing.js';
import type { SignatureFault } from '../faults/fault-plan.js';
import { createPulseMock, type PulseMock, type PulseMockOptions } from '../index.js';
import type { CheckOptions } from '../scenarios/check.js';
import type { CheckReport } from '../scenarios/check-report.js';
import type { TargetOptions } from '../scenarios/consumer-target.js';
import type { Scenario } from '../scenarios/define.js';
import type { ScenarioResult } from '../scenarios/reporters.js';

/** @deprecated Since 0.2.0 `startPulseMock` returns a `PulseMock`, the same surface as `createPulseMock`. */
export type StartedPulseMock = PulseMock;

/**
 * Starts the mock in this process on a free port: `createPulseMock({ port: 0, ...options })`.
 *
 * @example
 * const pulse = await startPulseMock({ webhookUrl: [myConsumerUrl], processingMs: 50 });
 * const client = new PulseClient({ apiKey: pulse.apiKey, baseUrl: pulse.url });
 * await pulse.waitForDelivery({ eventType: 'job.completed' });
 * await pulse.close();
 */
export function startPulseMock(options: PulseMockOptions = {}): Promise<PulseMock> {
  return createPulseMock({ port: 0, ...options });
}

export interface WebhookEventInput {
  type: string;
  data: Record<string, unknown>;
  /** ISO time in the body; default now. */
  timestamp?: string;
}

export interface SignOptions {
  /** Break the signature this way (see SIGNATURE_FAULTS). */
  fault?: SignatureFault;
  /** webhook-id; default a fresh msg_ id. */
  id?: string;
  /** Unix seconds signed in webhook-timestamp; default now. */
  timestamp?: number;
  headerPrefix?: HeaderPrefix;
}

export interface SignedWebhook {
  id: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A webhook exactly as pulse-mock (and Pulse, through Svix) sends it: body, content-type and the
 * three signature headers; valid, or broken by `fault`.
 *
 * @example
 * const { headers, body } = signWebhook({ type: 'job.completed', data: { job_id: 'j1', status: 'completed' } }, secret);
 */
export function signWebhook(event: WebhookEventInput, secret: string, options: SignOptions = {}): SignedWebhook {
  const id = options.id ?? messageId();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: event.type,
    timestamp: event.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data: event.data,
  });
  const names = headerNames(options.headerPrefix ?? 'webhook');
  const signed = signDelivery(options.fault, { names, id, timestamp, body, secrets: [secret] });
  return { id, headers: { 'content-type': 'application/json', ...signed.headers }, body: signed.body };
}

/**
 * A signed webhook as a ready `Request`, to hand to a fetch-style handler.
 *
 * @example
 * const res = await handleWebhook(webhookRequest({ type: 'job.completed', data: { job_id: 'j1', status: 'completed' } }, secret));
 * expect(res.status).toBe(200);
 */
export function webhookRequest(
  event: WebhookEventInput,
  secret: string,
  options: SignOptions & { url?: string } = {},
): Request {
  const { headers, body } = signWebhook(event, secret, options);
  return new Request(options.url ?? 'http://localhost/webhooks/pulse', { method: 'POST', headers, body });
}

export { SIGNATURE_FAULTS, type SignatureFault } from '../faults/fault-plan.js';

export type { ConsumerTarget, FetchHandler, NodeListener, TargetOptions } from '../scenarios/consumer-target.js';
export type { ConsumerEffects, EffectsProbe } from '../scenarios/effects.js';
export type { CheckOptions } from '../scenarios/check.js';
export type { ScenarioResult } from '../scenarios/reporters.js';
export {
  CHECK_IDS,
  formatCheckReport,
  type CheckId,
  type CheckReport,
  type CheckResult,
} from '../scenarios/check-report.js';
export type { Severity } from '../scenarios/grading.js';

/**
 * The conformance check (`pulse-mock check`) from code, against a URL or against the consumer's
 * handler in this process: a fetch handler (`(Request) => Response`: Next.js App Router, Hono,
 * Remix), an object with a `fetch` method (a Hono app), or a Node request listener (an Express
 * app). The mock's API still listens (on `apiPort`, or a free port told to `onApi` before the
 * first delivery). With `effects` the check also grades what the consumer did about each job.
 *
 * @example
 * // A Next.js route handler: app/api/webhooks/pulse/route.ts exports POST(request).
 * import { POST } from '../app/api/webhooks/pulse/route';
 * const report = await runCheck({
 *   target: POST,
 *   secret: process.env.PULSE_WEBHOOK_SECRET!,
 *   onApi: (url) => { process.env.PULSE_BASE_URL = url; },
 *   effects: async (jobId) => ({ status: (await db.job(jobId))?.status ?? null, acted: await db.charges(jobId) }),
 * });
 * expect(report.checks.filter((c) => c.passed === false)).toEqual([]);
 *
 * @example
 * // An Express app: the app itself is the listener.
 * const report = await runCheck({ target: app, secret, onApi: (url) => app.set('pulseBaseUrl', url) });
 * console.log(formatCheckReport(report, 'pretty'));
 */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  // Loaded on use: a unit test that only signs webhooks does not load the check.
  const { runCheck: run } = await import('../scenarios/check.js');
  return run(options);
}

/**
 * Runs scenarios (`pulse-mock scenario run`) from code: built-in ones by name, or your own
 * `defineScenario` objects, against a URL or an in-process handler as `runCheck` takes it.
 * Resolves with each scenario's result; nothing is printed unless `reporter` says so.
 *
 * @example
 * const results = await runScenarios(['happy-path', 'duplicate-delivery', 'out-of-order'], {
 *   target: app, // an Express app, or a fetch handler
 *   secret,
 *   onApi: (url) => (pulseBaseUrl = url),
 *   effects: (jobId) => store.effects(jobId),
 * });
 * expect(results.filter((r) => !r.passed)).toEqual([]);
 */
export async function runScenarios(
  scenarios: readonly (string | Scenario)[],
  options: TargetOptions & {
    seed?: number;
    reporter?: 'pretty' | 'json' | 'junit' | 'silent';
    mock?: Partial<PulseMockOptions>;
  },
): Promise<ScenarioResult[]> {
  const { loadScenario, runScenarios: run } = await import('../scenarios/runner.js');
  const { createReporter } = await import('../scenarios/reporters.js');
  const loaded = await Promise.all(scenarios.map(async (s) => (typeof s === 'string' ? loadScenario(s) : s)));
  const { reporter = 'silent', ...rest } = options;
  return run(loaded, {
    ...rest,
    reporter: reporter === 'silent' ? createReporter('json', () => {}) : createReporter(reporter),
  });
}
