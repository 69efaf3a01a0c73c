import autocannon from 'autocannon';
const url = process.argv[2];
const MIX2_EXTRACT = JSON.stringify({ file_url: 'https://example.com/invoice.pdf' });
const mix2Schema = (x) => JSON.stringify({ extraction_id: x, schema_config: { input_schema: { type: 'object', properties: { invoice_number: { type: 'string' }, total: { type: 'number' } } } }, async: true });
const idFrom = (b, f) => { try { return String(JSON.parse(b)[f] ?? 'x'); } catch { return 'x'; } };
const poll = { method: 'GET', setupRequest: (req, ctx) => ({ ...req, path: `/job/${ctx.jobId}` }) };
const only = process.argv[3];
const reqs = only === 'extract' ? [{ method: 'POST', path: '/extract', body: MIX2_EXTRACT }] : [
  { method: 'POST', path: '/extract', body: MIX2_EXTRACT, onResponse: (s, b, ctx) => (ctx.extractionId = idFrom(b, 'extraction_id')) },
  { method: 'POST', path: '/schema', setupRequest: (req, ctx) => ({ ...req, body: mix2Schema(ctx.extractionId) }), onResponse: (s, b, ctx) => (ctx.jobId = idFrom(b, 'job_id')) },
  poll, poll, poll];
const r = await autocannon({ url, connections: 10, duration: Number(process.env.D ?? 5), headers: { 'x-api-key': 'b', 'content-type': 'application/json' }, requests: reqs });
console.log('req/s', r.requests.average, 'non2xx', r.non2xx);
