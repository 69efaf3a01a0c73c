// The baseline: a bare fastify server answering the same JSON bodies pulse-mock would
// (captured from a real pulse-mock response), with no work behind them.
import Fastify from 'fastify';

const submit = { job_id: '6f2c1e0a-3b7d-4c55-9a41-2d8e7f1b0c93', status: 'pending', message: 'Job queued for processing', queuedAt: new Date().toISOString(), credits_used: 0 };
const job = JSON.parse(process.env.BASELINE_JOB_BODY ?? '{"job_id":"x","status":"completed"}');
const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/extract', async () => submit);
app.get('/job/:id', async () => job);
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${app.server.address().port}` })}\n`);
