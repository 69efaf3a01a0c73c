import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { DeliveryLog } from '../src/delivery/delivery-log.js';

/** A real HTTP consumer on 127.0.0.1, recording what it receives; its answers are scriptable. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Delay before answering (real ms); 'hang' never answers. */
  delayMs?: number | 'hang';
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  answer: (req: Received, index: number) => Answer;
  /** Resolves once `n` requests have arrived (bounded). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  /** Resolves once `done(received)` holds, tested on each arrival (bounded); fails naming `what`. */
  waitUntil(done: (received: Received[]) => boolean, what: string, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { done: (r: Received[]) => boolean; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      for (const w of waiters.filter((w) => w.done(received))) w.resolve();
      const a = receiver.answer(r, received.length - 1);
      if (a.delayMs === 'hang') return;
      const send = () => {
        res.writeHead(a.status ?? 200, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? 'ok');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${actual}/webhooks/pulse`,
    port: actual,
    received,
    answer,
    waitFor(n, timeoutMs = 10_000) {
      return receiver.waitUntil((r) => r.length >= n, `${n} requests`, timeoutMs);
    },
    waitUntil(done, what, timeoutMs = 10_000) {
      if (done(received)) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver did not get ${what} in ${timeoutMs} ms (got ${received.length} requests)`)),
          timeoutMs,
        );
        waiters.push({
          done,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/** Awaits `check`, tested on every change of the delivery log (no polling); fails naming `what` after `timeoutMs` of real time. */
export async function whenLog(
  log: DeliveryLog,
  check: () => boolean,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  if (!(await log.until(check, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}

/** A port that was free a moment ago (for settings that must name a port before listening). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
