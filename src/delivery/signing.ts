import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Webhook as SvixWebhook } from 'svix';

// svix (CommonJS) is required on first signature, not at start-up; one Webhook per secret.
const requireCjs = createRequire(import.meta.url);
let WebhookClass: typeof SvixWebhook | undefined;
const signers = new Map<string, SvixWebhook>();
function signer(secret: string): SvixWebhook {
  let w = signers.get(secret);
  if (!w) {
    WebhookClass ??= (requireCjs('svix') as typeof import('svix')).Webhook;
    w = new WebhookClass(secret);
    if (signers.size > 1000) signers.clear();
    signers.set(secret, w);
  }
  return w;
}

/**
 * Standard Webhooks / Svix signing, delegated to the `svix` package: the signature is
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), the key being the base64 part
 * of a `whsec_` secret. During a rotation several secrets sign, space-separated.
 */
export type HeaderPrefix = 'webhook' | 'svix';

export interface SignedHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Svix-style message id, `msg_` + 27 base62 characters (about 160 bits). With a `seed` and a
 * `stableKey` it is derived from a hash of both, so a run replays the same ids; otherwise it is
 * random. Never from a 32-bit PRNG: ids drawn from a 32-bit seed collide (birthday bound) once
 * a run has tens of thousands of messages, and a consumer that dedupes on `webhook-id` would
 * then drop a real message.
 */
export function messageId(seed?: number, stableKey?: string): string {
  const bytes = seed !== undefined && stableKey !== undefined ? createHash('sha256').update(`${seed}\u0000${stableKey}`).digest() : randomBytes(27);
  let s = 'msg_';
  for (let i = 0; i < 27; i++) s += BASE62[(bytes[i] as number) % 62];
  return s;
}

/** A new secret: `whsec_` + base64 of 24 random bytes (Svix's size). */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Throws a readable error unless `secret` is a usable `whsec_` secret. */
export function checkSecret(secret: string): string | undefined {
  if (!secret.startsWith('whsec_')) return 'a webhook secret starts with "whsec_"';
  const key = secret.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return 'the part after "whsec_" must be base64';
  const n = Buffer.from(key, 'base64').length;
  if (n < 24 || n > 64) return `the key must be 24 to 64 bytes once base64-decoded (got ${n})`;
  return undefined;
}

/** One `v1,<sig>` per secret, joined with spaces, newest first. */
export function sign(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const at = new Date(timestampSeconds * 1000);
  return secrets.map((s) => signer(s).sign(id, at, body)).join(' ');
}

export function headerNames(prefix: HeaderPrefix): { id: string; timestamp: string; signature: string } {
  return { id: `${prefix}-id`, timestamp: `${prefix}-timestamp`, signature: `${prefix}-signature` };
}
