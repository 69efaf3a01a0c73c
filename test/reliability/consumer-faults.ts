import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Consumers that misbehave in every way the field reports, each on its own port. */
export type Behaviour =
  'down' | 'reset' | 'hang' | 'redirect' | 'gone' | 'rate-limited-once' | 'error-500' | 'slow-ok' | 'ok';

export interface FaultyConsumers {
  urls: Record<Behaviour, string>;
  close(): Promise<void>;
}

export async function startFaultyConsumers(opts: { slowMs: number }): Promise<FaultyConsumers> {
  const servers: Server[] = [];
  const seen = new Map<string, number>();
  const urls = {} as Record<Behaviour, string>;
  const behaviours: Behaviour[] = [
    'down',
    'reset',
    'hang',
    'redirect',
    'gone',
    'rate-limited-once',
    'error-500',
    'slow-ok',
    'ok',
  ];
  for (const b of behaviours) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const n = (seen.get(`${b}/${id}`) ?? 0) + 1;
        seen.set(`${b}/${id}`, n);
        switch (b) {
          case 'reset':
            return req.socket.destroy();
          case 'hang':
            return;
          case 'redirect':
            return res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
          case 'gone':
            return res.writeHead(410).end('gone');
          case 'rate-limited-once':
            return n === 1 ? res.writeHead(429, { 'retry-after': '0' }).end('slow down') : res.writeHead(200).end('ok');
          case 'error-500':
            return res.writeHead(500).end('boom');
          case 'slow-ok':
            return void setTimeout(() => res.writeHead(200).end('ok'), opts.slowMs);
          default:
            return res.writeHead(200).end('ok');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    urls[b] = `http://127.0.0.1:${port}/${b}`;
    if (b === 'down')
      await new Promise((r) => server.close(r)); // nothing listens there any more
    else servers.push(server);
  }
  return {
    urls,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
