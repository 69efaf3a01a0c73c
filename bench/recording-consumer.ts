/**
 * The careful example consumer (examples/consumers/careful-consumer.ts) in a process of its own,
 * recording each webhook request it answers (arrival and answer times, the request as sent) and
 * counting its calls to the Pulse API: what `scenarios_wall_vs_exchanges` and
 * `check_wall_vs_exchanges` replay against a fresh one pointed at a bare fastify.
 * Env: SECRET, PULSE_BASE_URL. `GET /_bench/log` gives `{ exchanges, apiCalls, apiInFlight }`.
 * Prints `{"event":"ready","url","effectsUrl"}`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCarefulConsumer } from '../examples/consumers/careful-consumer.js';
import type { Exchange } from './exchange.js';

const exchanges: Exchange[] = [];
let apiCalls = 0;
// Its calls to the API still under way (it fetches jobs after answering).
let apiInFlight = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...a: Parameters<typeof fetch>) => {
  apiInFlight++;
  try {
    return await realFetch(...a);
  } finally {
    apiInFlight--;
  }
};
const base = process.env.PULSE_BASE_URL ?? 'http://127.0.0.1:4050';
const consumer = createCarefulConsumer({
  secret: process.env.SECRET ?? '',
  // Called once per API request the consumer makes: the count of its calls.
  pulseBaseUrl: () => {
    apiCalls++;
    return base;
  },
});
const server = createServer((req, res) => {
  if (req.url === '/_bench/log') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ exchanges, apiCalls, apiInFlight }));
    return;
  }
  if (req.method === 'POST') {
    const start = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    res.on('finish', () =>
      exchanges.push({
        start,
        end: performance.now(),
        path: req.url ?? '/',
        headers: Object.fromEntries(
          Object.entries(req.headers).flatMap(([k, v]) =>
            typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k) ? [[k, v]] : [],
          ),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  }
  consumer.listener(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${port}/webhooks/pulse`, effectsUrl: `http://127.0.0.1:${port}/_test/effects/{job_id}` })}\n`,
  );
});
