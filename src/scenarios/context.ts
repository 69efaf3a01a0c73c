import { awaitedDeadline, wallDelay, systemClock } from '../clock.js';
import type { RequestRecord } from '../core/request-log.js';
import { signDelivery } from '../delivery/signature-faults.js';
import { headerNames } from '../delivery/signing.js';
import { httpTransport } from '../delivery/transport.js';
import type { Delivery } from '../delivery/types.js';
import { TERMINAL_DELIVERY_STATES } from '../delivery/types.js';
import type { RunningServer } from '../server/start.js';
import type { ScenarioContext, SentEvent } from './define.js';
import { startOutageGateway } from './outage-gateway.js';
import { REJECTABLE_SIGNATURE_FAULTS } from '../faults/fault-engine.js';

export interface Assertion {
  message: string;
  passed: boolean;
  detail?: string;
}

/** The context a scenario runs with, over a started mock aimed at the consumer. */
export function createContext(
  server: RunningServer,
  opts: {
    target: string;
    secret: string;
    onAssertion: (a: Assertion) => void;
    onLog: (m: string) => void;
    onCleanup: (fn: () => Promise<void>) => void;
  },
): ScenarioContext {
  const { mock, runtime } = server;
  const names = headerNames(server.config.headerPrefix);
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init = {
      method,
      headers: { 'x-api-key': mock.apiKey, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    };
    let res: Response | undefined;
    // A pooled keep-alive socket to a previous scenario's mock (same port) fails once: retry on a fresh one.
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await fetch(`${mock.url}${path}`, init);
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`[pulse-mock] ${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const finished = (f: { jobId?: string; eventType?: string }) =>
    runtime.dispatcher.log.list(f).filter((d) => TERMINAL_DELIVERY_STATES.has(d.status) && d.duplicateOf === undefined);

  return {
    api: { url: mock.url, apiKey: mock.apiKey },
    target: opts.target,
    secret: opts.secret,
    seed: mock.seed,
    badSignatures: REJECTABLE_SIGNATURE_FAULTS,
    async submitJob(o = {}) {
      const headers: Record<string, string> = {};
      if (o.outcome) headers['x-pulse-mock-outcome'] = o.outcome;
      if (o.processingMs !== undefined) headers['x-pulse-mock-processing-ms'] = String(o.processingMs);
      if (o.error) headers['x-pulse-mock-error'] = o.error;
      const r = await api(
        'POST',
        '/extract',
        { file_url: o.fileUrl ?? 'https://example.com/invoice.pdf', async: true },
        headers,
      );
      return r.job_id as string;
    },
    async cancelJob(jobId) {
      await api('DELETE', `/job/${encodeURIComponent(jobId)}`);
    },
    async send(type, data, o = {}): Promise<SentEvent> {
      const messageId = o.messageId ?? runtime.dispatcher.newMessageId();
      const timestamp = o.timestamp ?? Math.floor(systemClock.now() / 1000);
      const body = JSON.stringify({ type, timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), data });
      const secrets = o.secrets ?? [opts.secret];
      const signed = signDelivery(o.fault, { names, id: messageId, timestamp, body, secrets });
      const started = systemClock.now();
      try {
        const res = await httpTransport({
          url: opts.target,
          headers: { 'content-type': 'application/json', 'user-agent': 'pulse-mock (scenario)', ...signed.headers },
          body: signed.body,
          timeoutMs: o.timeoutMs ?? 10_000,
        });
        return {
          messageId,
          body: signed.body,
          status: res.status,
          responseBody: res.body,
          durationMs: systemClock.now() - started,
        };
      } catch (e) {
        return { messageId, body: signed.body, error: (e as Error).message, durationMs: systemClock.now() - started };
      }
    },
    setFaults(rules) {
      runtime.faults.set(rules);
    },
    async waitForDeliveries(filter, timeoutMs = 30_000): Promise<Delivery[]> {
      // Checked on every change of the delivery log, not on a timer.
      await runtime.dispatcher.log.until(() => finished(filter).length >= filter.count, timeoutMs);
      return finished(filter);
    },
    deliveries: (f = {}) => runtime.dispatcher.log.list(f),
    requests: (f = {}) => runtime.requests.list(f),
    waitForRequest(test, timeoutMs = 10_000): Promise<RequestRecord | undefined> {
      const hit = runtime.requests.list().find(test);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => {
        const timer = awaitedDeadline(() => {
          off();
          resolve(undefined);
        }, timeoutMs);
        const off = runtime.requests.onRecord((r) => {
          if (!test(r)) return;
          timer.cancel();
          off();
          resolve(r);
        });
      });
    },
    async simulateOutage(ms) {
      const gateway = await startOutageGateway(opts.target, ms);
      opts.onCleanup(gateway.close);
      for (const ep of runtime.endpoints.list())
        if (ep.url === opts.target) runtime.endpoints.update(ep.id, { url: gateway.url });
    },
    sleep: (ms) => wallDelay(Math.min(ms, 60_000)),
    expect(condition, message, detail) {
      opts.onAssertion({ message, passed: condition, ...(detail !== undefined ? { detail } : {}) });
    },
    log: opts.onLog,
  };
}
