/**
 * The delivery engine against a correct client's ceiling, in one process (bench/run.ts spawns
 * this, compiled by esbuild the way tsup compiles the package: no tsx helpers in the hot path).
 *
 * - engine: the runtime's dispatcher, wired as `pulse-mock start` wires it (faults off, no state
 *   file), `n` job events published at once, each signed, logged and POSTed, 10 in flight; a
 *   round ends when the log has every delivery finished.
 * - client: a bare undici loop doing what a correct delivery needs (an HMAC over
 *   id.timestamp.body, the same headers, a timeout timer), 10 in flight, same sink, same body.
 * - bare: undici's dispatch alone, for scale.
 *
 * Rounds alternate (engine, client, engine, ...) after one warm-up round of each, so both meet
 * the same JIT state and the same drift of this machine's speed.
 *
 * Usage: node delivery-engine.js <sinkUrl> <n> <rounds>; prints one JSON line.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { resolveConfig } from '../src/config.js';
import { createRuntime } from '../src/runtime.js';

const [sinkUrl = '', nArg = '3000', roundsArg = '5'] = process.argv.slice(2);
const n = Number(nArg);
const rounds = Number(roundsArg);
const body = JSON.stringify({
  type: 'job.completed',
  timestamp: new Date().toISOString(),
  data: { job_id: 'jb_bench', status: 'completed', pages_processed: 1, processing_time: 1.1 },
});

const payload = JSON.parse(body) as unknown;
const runtime = createRuntime(
  resolveConfig({ options: { webhookUrl: [sinkUrl], port: 0 }, optionsAre: 'code', env: {} }),
);
const { dispatcher } = runtime;
let round = 0;

/** Publishes `count` job events at once; resolves with deliveries/s once all have finished. */
function engineRound(count: number): Promise<number> {
  const tag = `r${round++}`;
  return new Promise((resolve, reject) => {
    let left = count;
    const t0 = performance.now();
    const off = dispatcher.log.watch((d) => {
      if (d.status === 'pending' || d.status === 'sending') return;
      if (d.status !== 'succeeded') return reject(new Error(`delivery ${d.key} ${d.status}: ${d.reason}`));
      if (--left === 0) {
        off();
        resolve(count / ((performance.now() - t0) / 1000));
      }
    });
    // One payload object for all: the engine serialises each event itself, as it does for the core's.
    for (let i = 0; i < count; i++) dispatcher.publish({ type: 'job.completed', payload, jobId: `${tag}-${i}` });
  });
}

const key = randomBytes(24);
const agent = new Agent({ connections: 128, keepAliveTimeout: 10_000, pipelining: 1 });
const { origin, pathname } = new URL(sinkUrl);

function post(headers: Record<string, string>, timeout: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = timeout ? setTimeout(() => reject(new Error('timeout')), 15_000) : undefined;
    agent.dispatch(
      { origin, path: pathname, method: 'POST', body, headers },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd: () => (clearTimeout(timer), resolve()),
        onResponseError: (_c: unknown, e: Error) => (clearTimeout(timer), reject(e)),
      },
    );
  });
}

/** What a correct sender does per delivery, and nothing else. */
function correctOne(i: number): Promise<void> {
  const id = `msg_bench_${i}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return post(
    {
      'content-type': 'application/json',
      'user-agent': 'pulse-mock/bench',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
    true,
  );
}
const bareOne = () => post({ 'content-type': 'application/json' }, false);

async function loopRound(count: number, one: (i: number) => Promise<void>): Promise<number> {
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (sent < count) await one(sent++);
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

await engineRound(Math.min(n, 1000));
await loopRound(Math.min(n, 1000), correctOne);
const engine: number[] = [];
const client: number[] = [];
for (let r = 0; r < rounds; r++) {
  engine.push(await engineRound(n));
  client.push(await loopRound(n, correctOne));
}
const bare = await loopRound(n, bareOne);
runtime.close();
await agent.close();
process.stdout.write(
  `${JSON.stringify({ engine: median(engine), client: median(client), bare, engineRounds: engine, clientRounds: client })}\n`,
);
process.exit(0);
