import type { Clock } from './clock.js';
import type { MockConfig } from './config.js';
import type { PulseMockControls } from './facade.js';
import { startFromOptions } from './server/start.js';

/**
 * `pulse-mock`: a local Pulse API server and webhook sender for integration and contract tests.
 * `pulse-mock/msw` has the same API as msw handlers; `pulse-mock/testing` has helpers for tests.
 *
 * @example
 * import { createPulseMock } from 'pulse-mock';
 * const mock = await createPulseMock({ port: 0, webhookUrl: ['http://127.0.0.1:3000/webhooks/pulse'] });
 */
export { ConfigError } from './config.js';
export type { MockConfig, OutcomeRuleConfig, DocumentRuleConfig } from './config.js';
export { ManualClock, type Clock, type Timer } from './clock.js';
export { PulseMockError, type PulseErrorBody } from './core/errors.js';
export {
  JOB_EVENT_TYPES,
  type JobEvent,
  type JobEventPayload,
  type JobEventType,
  type JobStatus,
} from './core/events.js';
export type { JobRecord } from './core/job-store.js';
export type { RequestRecord } from './core/request-log.js';
export type { ExtractResult, LargeResultPointer } from './operations/extract/result.js';
export type { AsyncSubmissionResponse, JobStatusResponse } from './core/pulse-core.js';
export type { EndpointControls, FaultControls, MessageFilter, PulseMockControls } from './facade.js';
export type { Endpoint, EndpointInput } from './delivery/endpoints.js';
export { VERSION } from './version.js';
export {
  defineScenario,
  type Scenario,
  type ScenarioContext,
  type SendOptions,
  type SentEvent,
} from './scenarios/define.js';
export {
  SIGNATURE_FAULTS,
  explain as explainFault,
  type Fault,
  type FaultRule,
  type FaultScope,
  type SignatureFault,
  type ApiRoute,
} from './faults/fault-plan.js';
export type { Delivery, Attempt, DeliveryStatus } from './delivery/types.js';

/** Options for `createPulseMock`: any `MockConfig` field, plus a clock for tests. */
export type PulseMockOptions = Partial<Omit<MockConfig, 'seedGenerated' | 'configFile'>> & {
  /** Defaults to the system clock; pass a `ManualClock` to drive time from a test. */
  clock?: Clock;
  /** A JSON config file, read as the CLI's `--config` would. */
  configFile?: string;
  /** Called with one line per request (the CLI prints these). */
  onRequestLog?: (line: { method: string; url: string; status: number; ms: number }) => void;
};

/**
 * A running mock Pulse server: its URL for your Pulse client, and what a test sees and steers
 * of it (jobs, deliveries, requests, faults, endpoints).
 */
export interface PulseMock extends PulseMockControls {
  /** Base URL, e.g. `http://127.0.0.1:40123`: use it as the Pulse client's baseUrl. */
  url: string;
  port: number;
  /** False when any non-empty key is accepted (no `apiKey` option given). */
  apiKeyRequired: boolean;
  /** Token in the portal link (`POST /webhook`): it opens the portal page, and the page gets an admin session. */
  portalToken: string;
  /**
   * The admin API's token (`Authorization: Bearer <adminToken>`), wanted when the mock listens
   * beyond loopback. The Pulse API never returns it.
   */
  adminToken: string;
  /** Stops listening and cancels pending job timers; resolves with the deliveries left unsent. Safe to call twice. */
  close(): Promise<{ pending: number; sending: number }>;
}

/**
 * Starts a mock Pulse server in this process.
 *
 * @example
 * const mock = await createPulseMock({ port: 0, seed: 1, processingMs: 50 });
 * const client = new PulseClient({ apiKey: mock.apiKey, baseUrl: mock.url });
 * const { job_id } = await client.extract({ fileUrl: 'https://example.com/invoice.pdf', async: true });
 * await mock.waitForJob(job_id);
 * await mock.close();
 */
export async function createPulseMock(options: PulseMockOptions = {}): Promise<PulseMock> {
  return (await startFromOptions(options)).mock;
}
