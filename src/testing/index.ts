/**
 * `pulse-mock/testing`: helpers for users' tests. Start the mock in-process, sign a webhook
 * (valid or broken) to test a handler alone, and a vitest fixture.
 */
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames, messageId, type HeaderPrefix } from '../delivery/signing.js';
import type { SignatureFault } from '../faults/fault-plan.js';
import { createPulseMock, type PulseMock, type PulseMockOptions } from '../index.js';
import type { TestAPI } from 'vitest';

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

/**
 * A vitest fixture: `pulseMock` started before and closed after each test (or once per file).
 * Pass your `test` from vitest, so this module needs no vitest import of its own.
 *
 * @example
 * import { test as base } from 'vitest';
 * const test = withPulseMock(base, { processingMs: 20 });
 * test('submits', async ({ pulseMock }) => { ... pulseMock.url ... });
 */
export function withPulseMock(
  test: TestAPI,
  options: PulseMockOptions & { scope?: 'test' | 'file' } = {},
): TestAPI<{ pulseMock: PulseMock }> {
  const { scope = 'test', ...mockOptions } = options;
  // vitest reads the fixture's parameters: the first must be an object pattern.
  // eslint-disable-next-line no-empty-pattern
  const fixture = async ({}: object, use: (m: PulseMock) => Promise<void>) => {
    const m = await startPulseMock(mockOptions);
    try {
      await use(m);
    } finally {
      await m.close();
    }
  };
  return test.extend({ pulseMock: scope === 'file' ? [fixture, { scope: 'file' }] : fixture } as never) as TestAPI<{
    pulseMock: PulseMock;
  }>;
}

export { SIGNATURE_FAULTS, type SignatureFault } from '../faults/fault-plan.js';
