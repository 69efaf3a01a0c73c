/**
 * `pulse-mock/testing`: helpers for users' tests, whatever their test runner. Start the mock
 * in-process, sign a webhook (valid or broken) to test a handler alone. The vitest fixture is
 * `pulse-mock/vitest`, so that this module's types need no test runner installed.
 */
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames, messageId, type HeaderPrefix } from '../delivery/signing.js';
import type { SignatureFault } from '../faults/fault-plan.js';
import { createPulseMock, type PulseMock, type PulseMockOptions } from '../index.js';

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
