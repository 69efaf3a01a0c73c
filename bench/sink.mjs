// A minimal webhook sink: answers 200 to every POST and counts them (GET /count).
import { createServer } from 'node:http';

let count = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') return res.end(String(count));
  req.on('data', () => {});
  req.on('end', () => {
    count++;
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${server.address().port}` })}\n`),
);
