// What a test file that starts the server in-process pays: a fresh process starts either
// pulse-mock's server (`startPulseMock` from pulse-mock/testing, the package as built) or a bare
// fastify listening on port 0, and times its first answered request (GET /health).
// Prints {"ms": <from process start to the answer>}.
// Usage: node bench/inprocess-start.mjs mock|fastify (PULSE_MOCK_TESTING_ENTRY: import the sources instead, under tsx)
const which = process.argv[2];
let url;
let close;
if (which === 'mock') {
  const { startPulseMock } = await import(process.env.PULSE_MOCK_TESTING_ENTRY ?? 'pulse-mock/testing');
  const mock = await startPulseMock({ port: 0 });
  url = mock.url;
  close = () => mock.close();
} else {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${app.server.address().port}`;
  close = () => app.close();
}
const res = await fetch(`${url}/health`);
await res.json();
const ms = performance.now();
await close();
if (res.status !== 200) throw new Error(`unexpected answer ${res.status}`);
process.stdout.write(`${JSON.stringify({ ms })}\n`);
process.exit(0);
