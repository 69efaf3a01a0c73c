// The baseline: a bare fastify server answering the same JSON bodies pulse-mock would
// (captured from real pulse-mock responses by bench/run.ts), with no work behind them.
// BASELINE_JOB_BODY: GET /job/:id's answer; BASELINE_EXTRACT_BODY: POST /extract's (default: an
// async submission); BASELINE_SCHEMA_BODY: POST /schema's.
import Fastify from 'fastify';

const submit = {
  job_id: '6f2c1e0a-3b7d-4c55-9a41-2d8e7f1b0c93',
  status: 'pending',
  message: 'Job queued for processing',
  queuedAt: new Date().toISOString(),
  credits_used: 0,
};
const job = JSON.parse(process.env.BASELINE_JOB_BODY ?? '{"job_id":"x","status":"completed"}');
const extract = process.env.BASELINE_EXTRACT_BODY ? JSON.parse(process.env.BASELINE_EXTRACT_BODY) : submit;
const schema = process.env.BASELINE_SCHEMA_BODY ? JSON.parse(process.env.BASELINE_SCHEMA_BODY) : submit;
const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/extract', async () => extract);
app.post('/schema', async () => schema);
app.get('/job/:id', async () => job);
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${app.server.address().port}` })}\n`);
