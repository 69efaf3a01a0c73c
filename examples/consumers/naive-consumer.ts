/**
 * A naive consumer: accepts anything with a 200 and never checks a signature or fetches the
 * job. `pulse-mock check` fails it on every signature check (and exits non-zero).
 *
 * Run: PORT=3001 npx tsx examples/consumers/naive-consumer.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startNaiveConsumer(
  port = 0,
): Promise<{ url: string; received: unknown[]; close(): Promise<void> }> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body));
      } catch {
        received.push(body);
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const c = await startNaiveConsumer(Number(process.env.PORT ?? 3001));
  console.log(`naive consumer listening on ${c.url}`);
}
