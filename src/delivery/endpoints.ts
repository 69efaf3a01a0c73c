import type { Clock, Timer } from '../clock.js';
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
const RESERVED_HEADERS = /^(webhook-|svix-|content-length$|host$|transfer-encoding$|connection$)/i;

export class EndpointRegistry {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #rotationTimers = new Map<string, Timer>();
  /** Called after every change (the state journal listens); `undefined` endpoint = deleted. */
  onChange?: (id: string, ep: Endpoint | undefined) => void;

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdSequence,
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
    this.#endpoints.set(ep.id, ep);
    this.onChange?.(ep.id, ep);
    return ep;
  }

  /** Skips ids already taken (endpoints restored from a state file keep theirs). */
  #newId(): string {
    let id = '';
    for (let i = 0; i < 100 && (id === '' || this.#endpoints.has(id)); i++) id = `ep_${this.ids.next().replace(/-/g, '').slice(0, 24)}`;
    return id;
  }

  /** Puts back an endpoint read from the state file, as it was. */
  restore(ep: Endpoint): void {
    ep.secrets = ep.secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > this.clock.now());
    this.#endpoints.set(ep.id, ep);
  }

  update(id: string, input: Partial<EndpointInput>): Endpoint {
    const ep = this.require(id);
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
    this.onChange?.(ep.id, ep);
    return ep;
  }

  delete(id: string): void {
    this.require(id);
    this.#endpoints.delete(id);
    this.#rotationTimers.get(id)?.cancel();
    this.onChange?.(id, undefined);
  }

  /**
   * A new secret signs from now on; the previous one keeps signing too (a second `v1,`) for
   * `graceMs`, so consumers can switch without dropping a delivery.
   */
  rotateSecret(id: string, graceMs: number, newSecret?: string): Endpoint {
    const ep = this.require(id);
    if (newSecret !== undefined) {
      const problem = checkSecret(newSecret);
      if (problem) throw errors.invalidParameter('secret', `Invalid secret: ${problem}.`);
    }
    const previous = ep.secrets[0] as { secret: string };
    ep.secrets = [{ secret: newSecret ?? generateSecret() }];
    if (graceMs > 0) ep.secrets.push({ secret: previous.secret, expiresAt: this.clock.now() + graceMs });
    this.#rotationTimers.get(id)?.cancel();
    if (graceMs > 0) {
      this.#rotationTimers.set(
        id,
        this.clock.setTimeout(() => {
          ep.secrets = ep.secrets.slice(0, 1);
          this.#rotationTimers.delete(id);
          this.onChange?.(id, ep);
        }, graceMs),
      );
    }
    ep.updatedAt = this.clock.now();
    this.onChange?.(id, ep);
    return ep;
  }

  disable(id: string, reason: string): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
    ep.disabled = true;
    ep.disabledReason = reason;
    ep.updatedAt = this.clock.now();
    this.onChange?.(id, ep);
  }

  /** Endpoints that take this event type. */
  matching(type: string): Endpoint[] {
    return this.list().filter((ep) => ep.eventTypes.length === 0 || ep.eventTypes.includes(type as JobEventType));
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
    previousSecrets: ep.secrets.slice(1).map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ? new Date(s.expiresAt).toISOString() : null })),
    disabled: ep.disabled,
    disabledReason: ep.disabledReason ?? null,
    createdAt: new Date(ep.createdAt).toISOString(),
    updatedAt: new Date(ep.updatedAt).toISOString(),
  };
}

function validateEndpoint(input: Partial<EndpointInput>, creating: boolean): Partial<EndpointInput> & { eventTypes?: JobEventType[] } {
  if (typeof input !== 'object' || input === null) throw errors.invalidBody('An endpoint must be a JSON object.');
  if (creating || input.url !== undefined) {
    if (typeof input.url !== 'string') throw errors.invalidParameter('url', 'url is required: the consumer URL to deliver to.');
    let u: URL;
    try {
      u = new URL(input.url);
    } catch {
      throw errors.invalidParameter('url', `url is not a valid URL: "${input.url}".`, input.url);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw errors.invalidParameter('url', 'url must be http(s).', input.url);
  }
  if (input.eventTypes !== undefined) {
    if (!Array.isArray(input.eventTypes)) throw errors.invalidParameter('eventTypes', 'eventTypes must be a list of event types.');
    for (const t of input.eventTypes)
      if (!JOB_EVENT_TYPES.includes(t as JobEventType))
        throw errors.invalidParameter('eventTypes', `Unknown event type "${String(t)}"; use ${JOB_EVENT_TYPES.join(', ')}.`, t);
  }
  if (input.headers !== undefined) {
    if (typeof input.headers !== 'object' || input.headers === null || Array.isArray(input.headers))
      throw errors.invalidParameter('headers', 'headers must be an object of name: value.');
    for (const [k, v] of Object.entries(input.headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw errors.invalidParameter('headers', `"${k}" is not a valid header name.`);
      if (RESERVED_HEADERS.test(k)) throw errors.invalidParameter('headers', `Header "${k}" is set by the delivery itself.`);
      if (typeof v !== 'string' || /[\r\n]/.test(v)) throw errors.invalidParameter('headers', `Header "${k}" must be a one-line string.`);
    }
  }
  if (input.basicAuth) {
    const b = input.basicAuth;
    if (typeof b.username !== 'string' || typeof b.password !== 'string' || b.username.includes(':'))
      throw errors.invalidParameter('basicAuth', 'basicAuth needs a username (without ":") and a password.');
  }
  if (input.secret !== undefined) {
    const problem = typeof input.secret === 'string' ? checkSecret(input.secret) : 'it must be a string';
    if (problem) throw errors.invalidParameter('secret', `Invalid secret: ${problem}.`);
  }
  if (input.description !== undefined && typeof input.description !== 'string') throw errors.invalidParameter('description', 'description must be a string.');
  if (input.disabled !== undefined && typeof input.disabled !== 'boolean') throw errors.invalidParameter('disabled', 'disabled must be true or false.');
  return input as Partial<EndpointInput> & { eventTypes?: JobEventType[] };
}
