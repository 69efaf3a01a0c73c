import { systemClock } from '../clock.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A gateway in front of the consumer that plays "consumer down": for `downForMs` it resets every
 * connection, then forwards requests unchanged (headers, body, answer). Lets a scenario show that
 * retries bring every message through an outage.
 */
export async function startOutageGateway(
  target: string,
  downForMs: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const upAt = systemClock.now() + downForMs;
  const server = createServer((req, res) => {
    if (systemClock.now() < upAt) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    // Every failure is caught below: the promise is not left to reject.
    const forward = async () => {
      try {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k),
          ),
        ) as Record<string, string>;
        const answer = await fetch(target, {
          method: req.method ?? 'POST',
          headers,
          body: Buffer.concat(chunks),
          redirect: 'manual',
        });
        res.writeHead(
          answer.status,
          Object.fromEntries(
            [...answer.headers].filter(([k]) => !['content-length', 'transfer-encoding', 'connection'].includes(k)),
          ),
        );
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        req.socket.destroy();
      }
    };
    req.on('end', () => void forward());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${new URL(target).pathname}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
