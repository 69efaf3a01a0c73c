import type { Clock, Timer } from '../clock.js';
import { LIMITS } from '../api/limits.js';
import { errors } from '../core/errors.js';
import { JOB_EVENT_TYPES, type JobEventType } from '../core/events.js';
import type { IdSequence } from '../core/random.js';
import { checkSecret, generateSecret } from './signing.js';

/** Where deliveries go, as a user sets it up in Pulse's (Svix) portal. */
export interface Endpoint {
  id: string;
  url: string;
  description: string;
  /** Event types to receive; empty means every type. */
  eventTypes: JobEventType[];
  /** Extra headers sent with every delivery. */
  headers: Record<string, string>;
  basicAuth?: { username: string; password: string };
  /** Current secret first; during a rotation the previous one follows until it expires. */
  secrets: { secret: string; expiresAt?: number }[];
  disabled: boolean;
  disabledReason?: string;
  createdAt: number;
  updatedAt: number;
}

export interface EndpointInput {
  url: string;
  description?: string;
  eventTypes?: string[];
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string } | null;
  secret?: string;
  disabled?: boolean;
}

/** Headers a user must not override: the signature set and what the transport owns. */
/** Headers every delivery sets itself (custom ones would be sent twice), and ones no delivery can carry over HTTP/1.1. */
const RESERVED_HEADERS = /^(webhook-|svix-|content-type$|user-agent$)/i;
const UNSENDABLE_HEADERS =
  /^(content-length|host|transfer-encoding|connection|keep-alive|upgrade|expect|te|trailer|proxy-[a-z-]*|http2-settings)$/i;

export class EndpointRegistry {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #rotationTimers = new Map<string, Timer>();
  /** `matching(type)`'s answers, asked once per published event; emptied by every change. */
  readonly #matching = new Map<string, Endpoint[]>();
  /**
   * Told of every change (the state journal listens); `undefined` endpoint = deleted. For a
   * change a request makes (`byRequest`) it is told before the change is applied, and may throw
   * to refuse it: then nothing changes.
   */
  onChange?: (id: string, ep: Endpoint | undefined, byRequest: boolean) => void;

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdSequence,
    /** Endpoints at most (`--max-endpoints`): each job's events fan out to every one. */
    private readonly max = Number.POSITIVE_INFINITY,
  ) {}

  list(): Endpoint[] {
    return [...this.#endpoints.values()];
  }

  get(id: string): Endpoint | undefined {
    return this.#endpoints.get(id);
  }

  require(id: string): Endpoint {
    const ep = this.#endpoints.get(id);
    if (!ep) throw errors.endpointNotFound(id);
    return ep;
  }

  add(input: EndpointInput): Endpoint {
    const v = validateEndpoint(input, true);
    if (this.#endpoints.size >= this.max) throw errors.tooManyEndpoints(this.max);
    const now = this.clock.now();
    const ep: Endpoint = {
      id: this.#newId(),
      url: v.url as string,
      description: v.description ?? '',
      eventTypes: v.eventTypes ?? [],
      headers: v.headers ?? {},
      ...(v.basicAuth ? { basicAuth: v.basicAuth } : {}),
      secrets: [{ secret: v.secret ?? generateSecret() }],
      disabled: v.disabled ?? false,
      createdAt: now,
      updatedAt: now,
    };
    this.onChange?.(ep.id, ep, true);
    this.#put(ep);
    return ep;
  }

  /** Skips ids already taken (endpoints restored from a state file keep theirs). */
  #newId(): string {
    let id = '';
    for (let i = 0; i < 100 && (id === '' || this.#endpoints.has(id)); i++)
      id = `ep_${this.ids.next().replace(/-/g, '').slice(0, 24)}`;
    return id;
  }

  /** Puts back an endpoint read from the state file, as it was. */
  restore(ep: Endpoint): void {
    ep.secrets = ep.secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > this.clock.now());
    this.#put(ep);
  }

  update(id: string, input: Partial<EndpointInput>): Endpoint {
    // Changed on a copy, put in place once the journal took it.
    const ep: Endpoint = { ...this.require(id) };
    const v = validateEndpoint(input, false);
    if (v.url !== undefined) ep.url = v.url;
    if (v.description !== undefined) ep.description = v.description;
    if (v.eventTypes !== undefined) ep.eventTypes = v.eventTypes;
    if (v.headers !== undefined) ep.headers = v.headers;
    if (input.basicAuth === null) delete ep.basicAuth;
    else if (v.basicAuth) ep.basicAuth = v.basicAuth;
    if (v.secret !== undefined) ep.secrets = [{ secret: v.secret }];
    if (v.disabled !== undefined) {
      ep.disabled = v.disabled;
      if (!v.disabled) delete ep.disabledReason;
      else ep.disabledReason = 'disabled by user';
    }
    ep.updatedAt = this.clock.now();
    this.onChange?.(ep.id, ep, true);
    this.#put(ep);
    return ep;
  }

  delete(id: string): void {
    this.require(id);
    this.onChange?.(id, undefined, true);
    this.#endpoints.delete(id);
    this.#matching.clear();
    this.#rotationTimers.get(id)?.cancel();
  }

  /**
   * A new secret signs from now on; the previous one keeps signing too (a second `v1,`) for
   * `graceMs`, so consumers can switch without dropping a delivery.
   */
  rotateSecret(id: string, graceMs: number, newSecret?: string): Endpoint {
    const ep: Endpoint = { ...this.require(id) };
    if (newSecret !== undefined) {
      const problem = checkSecret(newSecret);
      if (problem) throw errors.invalidParameter('secret', `Invalid secret: ${problem}.`);
    }
    const previous = ep.secrets[0] as { secret: string };
    ep.secrets = [{ secret: newSecret ?? generateSecret() }];
    if (graceMs > 0) ep.secrets.push({ secret: previous.secret, expiresAt: this.clock.now() + graceMs });
    ep.updatedAt = this.clock.now();
    this.onChange?.(id, ep, true);
    this.#put(ep);
    this.#rotationTimers.get(id)?.cancel();
    if (graceMs > 0) {
      this.#rotationTimers.set(
        id,
        this.clock.setTimeout(() => {
          this.#rotationTimers.delete(id);
          const now = this.#endpoints.get(id);
          if (!now) return;
          now.secrets = now.secrets.slice(0, 1);
          this.onChange?.(id, now, false);
        }, graceMs),
      );
    }
    return ep;
  }

  disable(id: string, reason: string): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
    ep.disabled = true;
    ep.disabledReason = reason;
    ep.updatedAt = this.clock.now();
    this.onChange?.(id, ep, false);
  }

  /** Endpoints that take this event type (the same array until an endpoint changes: do not modify it). */
  matching(type: string): readonly Endpoint[] {
    let found = this.#matching.get(type);
    if (!found)
      this.#matching.set(
        type,
        (found = this.list().filter(
          (ep) => ep.eventTypes.length === 0 || ep.eventTypes.includes(type as JobEventType),
        )),
      );
    return found;
  }

  /** Every change of an endpoint replaces its object (or mutates only `disabled`), through here. */
  #put(ep: Endpoint): void {
    this.#endpoints.set(ep.id, ep);
    this.#matching.clear();
  }

  close(): void {
    for (const t of this.#rotationTimers.values()) t.cancel();
    this.#rotationTimers.clear();
  }
}

/** The public view of an endpoint: secrets shown (it is a local mock), expiry as ISO. */
export function endpointView(ep: Endpoint) {
  return {
    id: ep.id,
    url: ep.url,
    description: ep.description,
    eventTypes: ep.eventTypes,
    headers: ep.headers,
    basicAuth: ep.basicAuth ?? null,
    secret: (ep.secrets[0] as { secret: string }).secret,
    previousSecrets: ep.secrets
      .slice(1)
      .map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ? new Date(s.expiresAt).toISOString() : null })),
    disabled: ep.disabled,
    disabledReason: ep.disabledReason ?? null,
    createdAt: new Date(ep.createdAt).toISOString(),
    updatedAt: new Date(ep.updatedAt).toISOString(),
  };
}

/** The URL as given, without its `user:password@`. */
function withoutCredentials(u: URL): string {
  const bare = new URL(u.href);
  bare.username = '';
  bare.password = '';
  return bare.href;
}

function validateEndpoint(
  input: Partial<EndpointInput>,
  creating: boolean,
): Partial<EndpointInput> & { eventTypes?: JobEventType[] } {
  if (typeof input !== 'object' || input === null) throw errors.invalidBody('An endpoint must be a JSON object.');
  if (creating || input.url !== undefined) {
    if (typeof input.url !== 'string')
      throw errors.invalidParameter('url', 'url is required: the consumer URL to deliver to.');
    let u: URL;
    try {
      u = new URL(input.url);
    } catch {
      throw errors.invalidParameter('url', `url is not a valid URL: "${input.url}".`, input.url);
    }
    if (input.url.length > LIMITS.urlLength)
      throw errors.invalidParameter('url', `url is longer than ${LIMITS.urlLength} characters.`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw errors.invalidParameter('url', 'url must be http(s).', input.url);
    if (u.username || u.password) {
      // Credentials in the URL are what basicAuth is for: used as such, not silently dropped.
      if (input.basicAuth)
        throw errors.invalidParameter(
          'url',
          'url has credentials (user:password@) and basicAuth is set too; give one of them.',
        );
      input = {
        ...input,
        url: withoutCredentials(u),
        basicAuth: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
      };
    }
  }
  if (input.eventTypes !== undefined) {
    if (!Array.isArray(input.eventTypes))
      throw errors.invalidParameter('eventTypes', 'eventTypes must be a list of event types.');
    for (const t of input.eventTypes)
      if (!JOB_EVENT_TYPES.includes(t as JobEventType))
        throw errors.invalidParameter(
          'eventTypes',
          `Unknown event type "${String(t)}"; use ${JOB_EVENT_TYPES.join(', ')}.`,
          t,
        );
  }
  if (input.headers !== undefined) {
    if (typeof input.headers !== 'object' || input.headers === null || Array.isArray(input.headers))
      throw errors.invalidParameter('headers', 'headers must be an object of name: value.');
    const entries = Object.entries(input.headers);
    if (entries.length > LIMITS.endpointHeaders)
      throw errors.invalidParameter(
        'headers',
        `At most ${LIMITS.endpointHeaders} custom headers per endpoint; got ${entries.length}.`,
      );
    const seen = new Set<string>();
    for (const [k, v] of entries) {
      const name = k.length > 40 ? `${k.slice(0, 40)}...` : k;
      if (k.length > LIMITS.headerNameLength || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
        throw errors.invalidParameter(
          'headers',
          `"${name}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~-, at most ${LIMITS.headerNameLength}).`,
        );
      if (RESERVED_HEADERS.test(k))
        throw errors.invalidParameter('headers', `Header "${k}" is set by the delivery itself; leave it out.`);
      if (UNSENDABLE_HEADERS.test(k))
        throw errors.invalidParameter(
          'headers',
          `Header "${k}" cannot be set on a delivery (it belongs to the connection, not the message).`,
        );
      if (seen.has(k.toLowerCase()))
        throw errors.invalidParameter('headers', `Header "${k}" is given twice (header names ignore case).`);
      seen.add(k.toLowerCase());
      if (typeof v !== 'string' || v.length > LIMITS.headerValueLength || !/^[\t\x20-\x7e]*$/.test(v))
        throw errors.invalidParameter(
          'headers',
          `Header "${k}" must be one line of printable ASCII, at most ${LIMITS.headerValueLength} characters.`,
        );
    }
  }
  if (input.basicAuth) {
    const b = input.basicAuth;
    if (typeof b.username !== 'string' || typeof b.password !== 'string' || b.username.includes(':'))
      throw errors.invalidParameter('basicAuth', 'basicAuth needs a username (without ":") and a password.');
    if (b.username.length > LIMITS.credentialLength || b.password.length > LIMITS.credentialLength)
      throw errors.invalidParameter(
        'basicAuth',
        `basicAuth's username and password are at most ${LIMITS.credentialLength} characters each.`,
      );
  }
  if (input.secret !== undefined) {
    const problem = typeof input.secret === 'string' ? checkSecret(input.secret) : 'it must be a string';
    if (problem) throw errors.invalidParameter('secret', `Invalid secret: ${problem}.`);
  }
  if (
    input.description !== undefined &&
    (typeof input.description !== 'string' || input.description.length > LIMITS.textLength)
  )
    throw errors.invalidParameter(
      'description',
      `description must be a string of at most ${LIMITS.textLength} characters.`,
    );
  if (input.disabled !== undefined && typeof input.disabled !== 'boolean')
    throw errors.invalidParameter('disabled', 'disabled must be true or false.');
  return input as Partial<EndpointInput> & { eventTypes?: JobEventType[] };
}
