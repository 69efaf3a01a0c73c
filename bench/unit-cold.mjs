// What one unit-test file pays: a fresh process imports msw and either pulse-mock/msw (the
// package as built, by its name) or nothing more (a static handler answering a body of the
// same shape), and times its first answered sync extract with a structured-output schema.
// Prints {"ms": <from process start to the parsed answer>, "status", "body" (mock only)}.
// Usage: node bench/unit-cold.mjs mock|static [staticBodyJson] (PULSE_MOCK_MSW_ENTRY: import the sources instead, under tsx)
const which = process.argv[2];
const { setupServer } = await import('msw/node');
const request = {
  file_url: 'https://example.com/dummy_statement.pdf',
  structured_output: {
    schema: {
      type: 'object',
      properties: { account_holder: { type: 'string' }, closing_balance: { type: 'number' } },
      required: ['account_holder'],
    },
  },
};
let handlers;
if (which === 'mock') {
  const { createPulseHandlers } = await import(process.env.PULSE_MOCK_MSW_ENTRY ?? 'pulse-mock/msw');
  handlers = createPulseHandlers({ apiKey: 'sk_unit' });
} else {
  const { http, HttpResponse } = await import('msw');
  const body = JSON.parse(process.argv[3] ?? '{}');
  handlers = [http.post('https://api.runpulse.com/extract', () => HttpResponse.json(body))];
}
const server = setupServer(...handlers);
server.listen({ onUnhandledRequest: 'error' });
const res = await fetch('https://api.runpulse.com/extract', {
  method: 'POST',
  headers: { 'x-api-key': 'sk_unit', 'content-type': 'application/json' },
  body: JSON.stringify(request),
});
const json = await res.json();
const ms = performance.now();
server.close();
if (res.status !== 200 || !json.structured_output)
  throw new Error(`unexpected answer ${res.status}: ${JSON.stringify(json).slice(0, 200)}`);
process.stdout.write(`${JSON.stringify({ ms, status: res.status, body: which === 'mock' ? json : undefined })}\n`);
