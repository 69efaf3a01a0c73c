import type { SignatureFault } from '../faults/fault-plan.js';
import { generateSecret, sign } from './signing.js';

/**
 * Builds the headers and body of an attempt broken in one specific way, so a consumer can be
 * shown that it rejects (or, for valid-after-invalid, accepts) what a real attacker or a real
 * rotation sends. Everything else about the attempt stays valid.
 */
export interface SignatureInput {
  names: { id: string; timestamp: string; signature: string };
  id: string;
  timestamp: number;
  body: string;
  secrets: string[];
}

const TEN_MINUTES = 600;

/**
 * The signature headers and body of one delivery: valid, or broken the `variant` way. The headers
 * are set on `headers` (a new object unless given), which is returned.
 */
export function signDelivery(
  variant: SignatureFault | undefined,
  input: SignatureInput,
  headers: Record<string, string> = {},
): { headers: Record<string, string>; body: string } {
  const { names, id, body, secrets } = input;
  let ts = input.timestamp;
  let sendBody = body;
  let signature: string | undefined;
  switch (variant) {
    case 'wrong-secret':
      signature = sign([generateSecret()], id, ts, body);
      break;
    case 'tampered-body':
      signature = sign(secrets, id, ts, body);
      sendBody = tamper(body);
      break;
    case 'malformed-header':
      // The bare base64 signature, without its "v1," version: not a Standard Webhooks header.
      signature = sign(secrets.slice(0, 1), id, ts, body).replace(/^v1,/, '');
      break;
    case 'stale-timestamp':
      ts -= TEN_MINUTES;
      signature = sign(secrets, id, ts, body);
      break;
    case 'future-timestamp':
      ts += TEN_MINUTES;
      signature = sign(secrets, id, ts, body);
      break;
    case 'unknown-version':
      // A correct HMAC, but labelled with a version verifiers do not know.
      signature = sign(secrets, id, ts, body).replace(/(^| )v1,/g, '$1v2,');
      break;
    case 'partial-signature':
      // A version and its comma, and no signature after it.
      signature = 'v1,';
      break;
    case 'reserialized-body':
      // The same JSON, re-serialised after signing (whitespace): other bytes than the signed ones.
      signature = sign(secrets, id, ts, body);
      sendBody = reserialize(body);
      break;
    case 'v2-beside-v1':
      // A signature of a version verifiers do not know, then a valid v1 one: accept.
      signature = `v2,${Buffer.from(id).toString('base64')} ${sign(secrets, id, ts, body)}`;
      break;
    case 'valid-after-invalid':
      signature = `${sign([generateSecret()], id, ts, body)} ${sign([generateSecret()], id, ts, body)} ${sign(secrets, id, ts, body)}`;
      break;
    default:
      signature = sign(secrets, id, ts, body);
  }
  if (variant !== 'missing-id') headers[names.id] = id;
  if (variant !== 'missing-timestamp')
    headers[names.timestamp] = variant === 'non-numeric-timestamp' ? 'not-a-number' : String(ts);
  if (variant !== 'missing-signature') headers[names.signature] = signature;
  return { headers, body: sendBody };
}

/** The same JSON in other bytes: indented, as a framework's body parser then JSON.stringify would not keep it. */
function reserialize(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return ` ${body}`;
  }
}

/** Changes what the payload says (not just its whitespace), after it was signed. */
function tamper(body: string): string {
  try {
    const o = JSON.parse(body) as { data?: Record<string, unknown> };
    if (o.data) o.data.status = o.data.status === 'failed' ? 'completed' : 'failed';
    else (o as Record<string, unknown>).tampered = true;
    return JSON.stringify(o);
  } catch {
    return `${body} `;
  }
}
