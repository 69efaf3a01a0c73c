/**
 * `pulse-mock/testing`: helpers for users' tests. Start the mock in-process, sign a webhook
 * (valid or broken) to test a handler alone, and a vitest fixture.
 */
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames, messageId, type HeaderPrefix } from '../delivery/signing.js';
import { TERMINAL_DELIVERY_STATES, type Delivery } from '../delivery/types.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobStatus } from '../core/events.js';
import type { SignatureFault } from '../faults/fault-plan.js';
import { createPulseMock, type PulseMock, type PulseMockOptions } from '../index.js';
import type { TestAPI } from 'vitest';

export interface StartedPulseMock {
  url: string;
  apiKey: string;
  webhookSecret: string;
  /** Jobs the mock holds, optionally by status. */
  jobs(filter?: { status?: JobStatus }): JobRecord[];
  /** The delivery log, optionally filtered. */
  messages(filter?: { jobId?: string; eventType?: string; status?: Delivery['status'] }): Delivery[];
  /** Resolves with the first delivery matching `filter` to reach a final state (bounded by `timeoutMs`). */
  waitForDelivery(filter?: { jobId?: string; eventType?: string; status?: Delivery['status'] }, timeoutMs?: number): Promise<Delivery>;
  mock: PulseMock;
  close(): Promise<void>;
}

/**
 * Starts the mock in this process on a free port.
 *
 * @example
 * const pulse = await startPulseMock({ webhookUrl: [myConsumerUrl], processingMs: 50 });
 * const client = new PulseClient({ apiKey: pulse.apiKey, baseUrl: pulse.url });
 * await pulse.waitForDelivery({ eventType: 'job.completed' });
 * await pulse.close();
 */
export async function startPulseMock(options: PulseMockOptions = {}): Promise<StartedPulseMock> {
  const mock = await createPulseMock({ port: 0, ...options });
  const log = mock.runtime.dispatcher.log;
  return {
    url: mock.url,
    apiKey: mock.apiKey,
    webhookSecret: mock.webhookSecret,
    jobs: (filter = {}) => mock.core.jobs.list(filter),
    messages: (filter = {}) => log.list(filter),
    waitForDelivery: (filter = {}, timeoutMs = 10_000) =>
      mock.runtime.dispatcher.waitFor(
        (d) =>
          TERMINAL_DELIVERY_STATES.has(d.status) &&
          (filter.jobId === undefined || d.jobId === filter.jobId) &&
          (filter.eventType === undefined || d.eventType === filter.eventType) &&
          (filter.status === undefined || d.status === filter.status),
        timeoutMs,
      ),
    mock,
    close: async () => {
      await mock.close();
    },
  };
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
  const body = JSON.stringify({ type: event.type, timestamp: event.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), data: event.data });
  const names = headerNames(options.headerPrefix ?? 'webhook');
  const signed = signDelivery(options.fault, { names, id, timestamp, body, secrets: [secret] });
  return { id, headers: { 'content-type': 'application/json', ...signed.headers }, body: signed.body };
}

/** The same, as a ready `Request` to hand to a fetch-style handler. */
export function webhookRequest(event: WebhookEventInput, secret: string, options: SignOptions & { url?: string } = {}): Request {
  const { headers, body } = signWebhook(event, secret, options);
  return new Request(options.url ?? 'http://localhost/webhooks/pulse', { method: 'POST', headers, body });
}

/**
 * A vitest fixture: `pulseMock` started before and closed after each test (or once per file).
 * Pass your `test` from vitest, so this module needs no vitest import of its own.
 *
 * @example
 * import { test as base } from 'vitest';
 * const test = withPulseMock(base, { processingMs: 20 });
 * test('submits', async ({ pulseMock }) => { ... pulseMock.url ... });
 */
export function withPulseMock(test: TestAPI, options: PulseMockOptions & { scope?: 'test' | 'file' } = {}): TestAPI<{ pulseMock: StartedPulseMock }> {
  const { scope = 'test', ...mockOptions } = options;
  // vitest reads the fixture's parameters: the first must be an object pattern.
  // eslint-disable-next-line no-empty-pattern
  const fixture = async ({}: object, use: (m: StartedPulseMock) => Promise<void>) => {
    const m = await startPulseMock(mockOptions);
    try {
      await use(m);
    } finally {
      await m.close();
    }
  };
  return test.extend({ pulseMock: scope === 'file' ? [fixture, { scope: 'file' }] : fixture } as never) as TestAPI<{ pulseMock: StartedPulseMock }>;
}


export { SIGNATURE_FAULTS, type SignatureFault } from '../faults/fault-plan.js';
