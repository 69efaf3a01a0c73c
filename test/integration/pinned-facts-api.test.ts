import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import { jsonCaller, mswPulseFor, PULSE, serverFor } from '../adapters.js';

/**
 * Pinned facts through the API, the server and msw alike: a config rule's `facts`, the
 * `x-pulse-mock-facts` header, and the chained operations (schema, tables, split) reading the
 * same facts as the extract that stored them.
 */
const KEY = 'sk_pins';
const DOCUMENTS = [
  {
    match: '*big-invoice*',
    kind: 'invoice' as const,
    facts: {
      total: 1200,
      customer_name: 'Ada Lovelace',
      line_items: [
        { description: 'Analytical engine', quantity: 1, unit_price: 1000 },
        { description: 'Punched cards', quantity: 100, unit_price: 0.5 },
      ],
    },
  },
];

function suite(name: string, base: () => string, clock: ManualClock) {
  const call = jsonCaller(base, KEY);
  const facts = (f: unknown) => ({ 'x-pulse-mock-facts': JSON.stringify(f) });

  describe(`${name}: pinned facts`, () => {
    it('a rule pins an invoice: markdown, structured output, schema, tables and split agree', async () => {
      const schema = {
        type: 'object',
        properties: { amount_due: { type: 'number' }, subtotal: { type: 'string' }, bill_to: { type: 'string' } },
      };
      const r = await call('POST', '/extract', {
        file_url: 'https://e.com/big-invoice.pdf',
        structured_output: { schema },
      });
      expect(r.status).toBe(200);
      expect(r.body.markdown).toContain('Total due: $1200.00 USD');
      expect(r.body.markdown).toContain('| Analytical engine | 1 | 1000.00 | 1000.00 |');
      // Pinned lines make the subtotal (1050); the pinned total then fixes the tax (150).
      expect(r.body.markdown).toContain('Subtotal: $1050.00');
      expect(r.body.markdown).toContain('Tax: $150.00');
      // Converted to the schema's types: a string where the schema asks for one.
      expect(r.body.structured_output.values).toEqual({
        amount_due: 1200,
        subtotal: '1050',
        bill_to: 'Ada Lovelace',
      });
      const id = r.body.extraction_id as string;

      const s = await call('POST', '/schema', { extraction_id: id, schema_config: { input_schema: schema } });
      expect(s.body.schema_output.values).toEqual(r.body.structured_output.values);
      expect(s.body.schema_output.citations).toEqual(r.body.structured_output.citations);

      const t = await call('POST', '/tables', { extraction_id: id, tables_config: { table_format: 'json' } });
      const rows = (t.body.tables_output.tables as { table_content: { rows: Record<string, string>[] } }[]).flatMap(
        (x) => x.table_content.rows,
      );
      expect(rows.map((row) => [row.Description, row['Amount (USD)']])).toEqual([
        ['Analytical engine', '1000.00'],
        ['Punched cards', '50.00'],
      ]);

      const split = await call('POST', '/split', {
        extraction_id: id,
        split_config: { split_input: [{ name: 'Totals', description: 'subtotal tax total' }] },
      });
      expect(split.status).toBe(200);
      expect(split.body.split_output.splits.Totals.length).toBeGreaterThan(0);
    });

    it('x-pulse-mock-facts pins one request, over a rule, async too', async () => {
      const r = await call(
        'POST',
        '/extract',
        { file_url: 'https://e.com/big-invoice.pdf', async: true },
        facts({ customer: 'Grace Hopper', line_items: [{ description: 'Compiler', amount: 1000 }], tax: 200 }),
      );
      expect(r.status).toBe(200);
      await clock.advance(1000);
      const job = await call('GET', `/job/${r.body.job_id}`);
      expect(job.body.status).toBe('completed');
      expect(job.body.result.markdown).toContain('Bill to: Grace Hopper');
      expect(job.body.result.markdown).toContain('Total due: $1200.00 USD');
      // Another document keeps its seeded facts.
      const other = await call('POST', '/extract', { file_url: 'https://e.com/big-invoice.pdf' });
      expect(other.body.markdown).toContain('Bill to: Ada Lovelace');
    });

    it('refuses pins that contradict each other, unknown names and bad JSON with a 400 naming them', async () => {
      const contradict = await call(
        'POST',
        '/extract',
        { file_url: 'https://e.com/invoice.pdf' },
        facts({ subtotal: 100, tax: 8, total: 120 }),
      );
      expect(contradict.status).toBe(400);
      expect(contradict.body.error).toMatchObject({
        code: 'INVALID_PARAMETER',
        message: 'x-pulse-mock-facts: subtotal, tax, total contradict each other: 100 + 8 is not 120.',
      });
      // The rule's total and lines with the request's tax that cannot hold with them.
      const withRule = await call('POST', '/extract', { file_url: 'https://e.com/big-invoice.pdf' }, facts({ tax: 1 }));
      expect(withRule.body.error.message).toMatch(
        /^x-pulse-mock-facts with the documents rule "\*big-invoice\*" facts: line_items, tax, total contradict/,
      );
      const unknown = await call('POST', '/extract', { file_url: 'https://e.com/statement.pdf' }, facts({ total: 1 }));
      expect(unknown.body.error.message).toMatch(/a bank-statement has no fact named "total"; it prints bank_name/);
      const bad = await call(
        'POST',
        '/extract',
        { file_url: 'https://e.com/invoice.pdf' },
        { 'x-pulse-mock-facts': '{total' },
      );
      expect([bad.status, bad.body.error.message]).toEqual([
        400,
        'x-pulse-mock-facts must be JSON, e.g. {"total": 1200}.',
      ]);
      const big = await call(
        'POST',
        '/extract',
        { file_url: 'https://e.com/invoice.pdf' },
        facts({ vendor: 'x'.repeat(9000) }),
      );
      expect(big.body.error.message).toBe('x-pulse-mock-facts carries at most 8192 bytes of JSON.');
    });
  });
}

describe('through the server', () => {
  const { server, clock } = serverFor({ apiKey: KEY, seed: 32, queueMs: 10, processingMs: 100, documents: DOCUMENTS });
  suite('server', () => server().mock.url, clock);

  it('POST /_mock/documents adds a rule that wins; DELETE removes it; a bad one is a 400', async () => {
    const admin = (method: string, body?: unknown) =>
      fetch(`${server().mock.url}/_mock/documents`, {
        method,
        ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
    const call = jsonCaller(() => server().mock.url, KEY);
    const added = await admin('POST', { match: '*big-invoice*', kind: 'invoice', facts: { total: 99.99 } });
    expect(added.status).toBe(201);
    expect((await call('POST', '/extract', { file_url: 'https://e.com/big-invoice.pdf' })).body.markdown).toContain(
      'Total due: $99.99 USD',
    );
    const listed = (await (await admin('GET')).json()) as { data: { match: string }[] };
    expect(listed.data.map((d) => d.match)).toEqual(['*big-invoice*', '*big-invoice*']);
    expect((await admin('DELETE')).status).toBe(200);
    expect((await call('POST', '/extract', { file_url: 'https://e.com/big-invoice.pdf' })).body.markdown).toContain(
      'Total due: $1200.00 USD',
    );
    const bad = await admin('POST', { match: '*x*', kind: 'invoice', facts: { nope: 1 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /^body\.facts: an invoice has no fact named "nope"/,
    );
  });
});

describe('in the config', () => {
  it('a rule that names its kind has its facts checked at start: one line naming them', async () => {
    const { createPulseMsw } = await import('../../src/msw/index.js');
    expect(() => createPulseMsw({ documents: [{ match: '*', kind: 'invoice', facts: { totl: 1 } }] })).toThrow(
      /^\[pulse-mock\] invalid documents\[0\]\.facts: an invoice has no fact named "totl"; it prints vendor_name/,
    );
  });
});

describe('through msw', () => {
  const { clock } = mswPulseFor({ apiKey: KEY, seed: 32, queueMs: 10, processingMs: 100, documents: DOCUMENTS });
  suite('msw', () => PULSE, clock);
});
