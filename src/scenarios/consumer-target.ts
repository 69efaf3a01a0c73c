import type { IncomingMessage, ServerResponse } from 'node:http';
import { withDeadline } from '../clock.js';
import { DeliveryTimeoutError, httpTransport, type Transport } from '../delivery/transport.js';
import { effectsReader, type EffectsProbe } from './effects.js';

/** A route handler of the fetch kind: Next.js App Router, Hono's `app.fetch`, Remix, Bun, Deno. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;
/** A Node request listener: an Express or Koa app's callback, `fastify.routing`, `http.createServer`'s handler. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse, next?: (e?: unknown) => void) => void;

/**
 * The consumer a check or a scenario attacks: its webhook URL, or its handler called in this
 * process with no socket. A function taking two or more parameters is a Node request listener
 * (an Express app takes three); one taking fewer is a fetch handler; an object with a `fetch`
 * method (a Hono app) is that method.
 */
export type ConsumerTarget = string | FetchHandler | { fetch: FetchHandler } | NodeListener;

/** The URL deliveries to an in-process consumer carry (its path is what the handler sees). */
export const IN_PROCESS_URL = 'http://consumer.in-process/webhooks/pulse';

export interface ResolvedTarget {
  /** Where deliveries are addressed (for an in-process consumer, {@link IN_PROCESS_URL}). */
  url: string;
  /** How reports name the consumer. */
  label: string;
  inProcess: boolean;
  /** Sends a delivery to the consumer and reads its answer, whatever kind it is. */
  transport: Transport;
}

const MAX_BODY = 1024;

/**
 * One transport per kind of target. An in-process handler's answer is read like a socket's
 * (status, headers, the first KiB of the body); a handler that throws answers 500 with the
 * error, as a framework would; the delivery timeout holds as over HTTP.
 */
export function resolveTarget(target: ConsumerTarget): ResolvedTarget {
  if (typeof target === 'string') return { url: target, label: target, inProcess: false, transport: httpTransport };
  if (typeof target === 'function' && target.length >= 2)
    return inProcess('a Node request listener (in-process)', listenerTransport(target as NodeListener));
  const handler: FetchHandler | undefined =
    typeof target === 'function'
      ? (target as FetchHandler)
      : typeof target === 'object' && target !== null && typeof target.fetch === 'function'
        ? (req) => target.fetch(req)
        : undefined;
  if (!handler)
    throw new TypeError(
      '[pulse-mock] the target must be a webhook URL, a fetch handler (Request) => Response, an object with a fetch method, or a Node request listener (req, res)',
    );
  return inProcess('a fetch handler (in-process)', fetchTransport(handler));
}

function inProcess(label: string, transport: Transport): ResolvedTarget {
  return { url: IN_PROCESS_URL, label, inProcess: true, transport };
}

function fetchTransport(handler: FetchHandler): Transport {
  return (req) =>
    withDeadline(
      req.timeoutMs,
      (async () => {
        let res: Response;
        try {
          res = await handler(new Request(req.url, { method: 'POST', headers: req.headers, body: req.body }));
        } catch (e) {
          return threw(e);
        }
        if (!(res instanceof Response))
          return threw(new TypeError(`the handler returned ${typeof res}, not a Response`));
        const body = (await res.text()).slice(0, MAX_BODY);
        return {
          status: res.status,
          header: (n) => res.headers.get(n) ?? undefined,
          body,
          headers: () => Object.fromEntries(res.headers),
        };
      })(),
      timedOut(req.timeoutMs),
    );
}

function listenerTransport(listener: NodeListener): Transport {
  return (req) =>
    withDeadline(
      req.timeoutMs,
      (async () => {
        // fastify's own injector: a request and a response with no socket, as Express and Koa expect.
        const { default: inject } = await import('light-my-request');
        const url = new URL(req.url);
        try {
          const res = await inject(listener, {
            method: 'POST',
            url: `${url.pathname}${url.search}`,
            headers: { ...req.headers, host: url.host },
            payload: req.body,
          });
          return {
            status: res.statusCode,
            header: (n) => {
              const v = res.headers[n.toLowerCase()];
              return Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v);
            },
            body: res.payload.slice(0, MAX_BODY),
          };
        } catch (e) {
          return threw(e);
        }
      })(),
      timedOut(req.timeoutMs),
    );
}

const timedOut = (ms: number) => () => new DeliveryTimeoutError(`no response within ${ms} ms`);

function threw(e: unknown) {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { status: 500, header: () => undefined, body: `the handler threw ${message}`.slice(0, MAX_BODY) };
}

/** Where the consumer is and how to see what it did: what `runCheck` and `runScenarios` share. */
export interface TargetOptions {
  /** The consumer: its webhook URL, or its handler called in-process (a fetch handler or a Node request listener). */
  target: ConsumerTarget;
  /** The whsec_ secret the consumer verifies with. */
  secret: string;
  /** Port of the mock's API (default: a free one; the CLI's default is 4050). */
  apiPort?: number;
  /** Told the mock's API URL before the first delivery (an in-process consumer points its Pulse client there). */
  onApi?: (url: string) => void | Promise<void>;
  /** How to read what the consumer did about a job: a URL template with {job_id}, or a function. */
  effects?: EffectsProbe;
  /** The longest wait for effects to settle after the consumer's last answer (ms; default 3000). */
  effectsTimeoutMs?: number;
}

/** The context's effects option from the target options (none without a probe). */
export function effectsOption(o: TargetOptions) {
  return o.effects !== undefined
    ? {
        effects: {
          read: effectsReader(o.effects),
          settle: o.effectsTimeoutMs !== undefined ? { timeoutMs: o.effectsTimeoutMs } : {},
        },
      }
    : {};
}
