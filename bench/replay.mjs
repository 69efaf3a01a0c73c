// Replays a CI run's requests to a consumer from a fresh process, cold like the CLI it stands in
// for: groups in order, each at its own concurrency, then waits until the consumer has no call
// to the API under way. Prints {"ms": <from its HTTP client loaded to the end>}.
// Usage: node bench/replay.mjs <file with {origin, groups: [{concurrency, items: [{path, headers, body}]}]}> <consumer log URL>
import { readFileSync } from 'node:fs';

const [file, logUrl] = process.argv.slice(2);
const { origin, groups } = JSON.parse(readFileSync(file, 'utf8'));
const { Agent, request } = await import('undici');
const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 10_000 });
// After loading undici: the check loads it beside its mock's start-up, which is counted apart.
const t0 = performance.now();
for (const g of groups) {
  const queue = [...g.items];
  await Promise.all(
    Array.from({ length: g.concurrency }, async () => {
      for (let x = queue.shift(); x; x = queue.shift()) {
        const res = await request(`${origin}${x.path}`, {
          method: 'POST',
          headers: x.headers,
          body: x.body,
          dispatcher,
        });
        await res.body.text();
      }
    }),
  );
}
// The consumer fetches jobs after answering: wait until none is under way (bounded).
for (let i = 0; i < 5000; i++) {
  const res = await request(logUrl, { dispatcher });
  const { apiInFlight } = await res.body.json();
  if (apiInFlight === 0) break;
  await new Promise((r) => setTimeout(r, 1));
}
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
await dispatcher.close();
