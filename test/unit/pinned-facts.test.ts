import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DocumentInfo, DocumentKind } from '../../src/core/documents.js';
import { canonicalPins, rescale } from '../../src/core/pins.js';
import { FACT_NAMES } from '../../src/operations/extract/fact-names.js';
import { normalizeExtractRequest } from '../../src/operations/extract/request.js';
import { generateExtraction } from '../../src/operations/extract/result.js';

/**
 * Issue 32's pinned values: whatever a test pins, the document model prints it, structured output
 * returns it (as the schema's type) citing the blocks that print it, and the facts derived from it
 * agree (an invoice's subtotal, tax and total; a statement's balances).
 */
const KINDS = Object.keys(FACT_NAMES) as DocumentKind[];
const NUMERIC = /balance|deposits|withdrawals|subtotal|^tax$|^total$|value|revenue|income|term_months|fiscal_year/;
const DATE = /date|period_start|period_end/;
const cents = (n: number) => Math.round(n * 100) / 100;

/** A value for one fact, of the kind the document prints there. */
function valueFor(fact: string, n: number): string | number {
  if (fact === 'term_months') return 1 + (n % 60);
  if (fact === 'fiscal_year') return 2000 + (n % 30);
  if (NUMERIC.test(fact)) return cents(10 + (n % 9_000_000) / 100);
  if (DATE.test(fact)) return new Date(Date.UTC(2020, 0, 1) + (n % 2000) * 86_400_000).toISOString().slice(0, 10);
  return `Pinned ${fact.replace(/_/g, ' ')} ${n % 10_000}`;
}

/** Pins that can all hold at once: a sum the others fix is left to be derived. */
function consistent(kind: DocumentKind, pins: Record<string, string | number>) {
  if (kind === 'invoice' && ['subtotal', 'tax', 'total'].every((k) => k in pins)) delete pins.total;
  if (
    kind === 'bank-statement' &&
    ['opening_balance', 'closing_balance', 'total_deposits', 'total_withdrawals'].every((k) => k in pins)
  )
    delete pins.closing_balance;
  if (
    typeof pins.period_start === 'string' &&
    typeof pins.period_end === 'string' &&
    pins.period_start > pins.period_end
  )
    [pins.period_start, pins.period_end] = [pins.period_end, pins.period_start];
  return pins;
}

function extract(kind: DocumentKind, seed: number, pages: number, pins: Record<string, unknown>) {
  const facts = Object.keys(FACT_NAMES[kind]);
  const schema = {
    type: 'object',
    properties: {
      ...Object.fromEntries(facts.map((f) => [f, { type: NUMERIC.test(f) ? 'number' : 'string' }])),
      ...(kind === 'invoice'
        ? { line_items: { type: 'array', items: { type: 'object', properties: { amount: { type: 'number' } } } } }
        : {}),
      ...(kind === 'bank-statement'
        ? {
            transactions: {
              type: 'array',
              items: { type: 'object', properties: { amount: { type: 'number' }, balance: { type: 'number' } } },
            },
          }
        : {}),
    },
  };
  const info: DocumentInfo = {
    name: `doc-${seed}.pdf`,
    kind,
    totalPages: pages,
    pages: Array.from({ length: pages }, (_, i) => i + 1),
    pins: canonicalPins(kind, pins, 'facts'),
  };
  const req = normalizeExtractRequest({ file_url: `https://e.com/doc-${seed}.pdf`, structured_output: { schema } });
  return generateExtraction(req, info, { seed });
}

describe('pinned facts', () => {
  it('are printed, returned and cited, whatever the kind, the seed and the pins (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        (kind, seed, pages, draws) => {
          const names = Object.keys(FACT_NAMES[kind]);
          const pins = consistent(
            kind,
            Object.fromEntries(
              draws.map((d, i) => [names[d % names.length]!, valueFor(names[d % names.length]!, d + i)]),
            ),
          );
          const r = extract(kind, seed, pages, pins);
          const out = r.structured_output as { values: Record<string, unknown>; citations: Record<string, string[]> };
          const blocks = new Map(r.bounding_boxes.Text.concat(r.bounding_boxes.Title).map((b) => [b.id, b.content]));
          for (const [fact, value] of Object.entries(pins)) {
            expect(out.values[fact], `${kind} ${fact}`).toEqual(value);
            const printed =
              typeof value === 'number' && !/term_months|fiscal_year/.test(fact) ? value.toFixed(2) : String(value);
            expect(r.markdown, `${kind} ${fact}`).toContain(printed);
            const cited = out.citations[fact] ?? [];
            expect(cited.length, `${kind} ${fact} cited`).toBeGreaterThan(0);
            for (const id of cited) expect(blocks.get(id), `${kind} ${fact} in ${id}`).toContain(printed);
          }
          const v = out.values as Record<string, number> & {
            subtotal: number;
            tax: number;
            total: number;
            opening_balance: number;
            closing_balance: number;
            total_deposits: number;
            total_withdrawals: number;
            line_items?: { amount: number }[];
            transactions?: { amount: number; balance: number }[];
          };
          if (kind === 'invoice') {
            expect(cents(v.subtotal + v.tax)).toBeCloseTo(v.total, 2);
            expect(cents(v.line_items!.reduce((s, l) => s + l.amount, 0))).toBeCloseTo(v.subtotal, 2);
          }
          if (kind === 'bank-statement') {
            expect(cents(v.opening_balance + v.total_deposits - v.total_withdrawals)).toBeCloseTo(v.closing_balance, 2);
            expect(v.transactions!.at(-1)!.balance).toBeCloseTo(v.closing_balance, 2);
            const deposits = cents(v.transactions!.filter((t) => t.amount > 0).reduce((s, t) => s + t.amount, 0));
            expect(deposits).toBeCloseTo(v.total_deposits, 2);
          }
        },
      ),
      { numRuns: 150, seed: 32 },
    );
  });

  it('a pinned total re-derives subtotal, tax and the lines; pinned lines make the subtotal', () => {
    const r = extract('invoice', 7, 2, { amount_due: '1,200.00', customer: 'Ada Lovelace' });
    const v = (r.structured_output as { values: Record<string, number | string> }).values;
    expect(v).toMatchObject({ total: 1200, subtotal: 1111.11, tax: 88.89, customer_name: 'Ada Lovelace' });
    const lines = extract('invoice', 7, 1, {
      items: [
        { item: 'Widget', qty: 2, price: 50 },
        { description: 'Setup', amount: 100 },
      ],
    });
    expect(lines.markdown).toContain('| Widget | 2 | 50.00 | 100.00 |');
    expect((lines.structured_output as { values: Record<string, number> }).values).toMatchObject({
      subtotal: 200,
      tax: 16,
      total: 216,
    });
  });

  it('refuses pins that contradict each other, unknown names and values of the wrong type, naming them', () => {
    expect(() => canonicalPins('invoice', { subtotal: 100, tax: 8, total: 120 }, 'x-pulse-mock-facts')).toThrow(
      'x-pulse-mock-facts: subtotal, tax, total contradict each other: 100 + 8 is not 120.',
    );
    expect(() =>
      canonicalPins('invoice', { line_items: [{ amount: 10 }, { amount: 20 }], subtotal: 40 }, 'facts'),
    ).toThrow('facts: line_items, subtotal contradict each other: the lines add up to 30, not 40.');
    expect(() =>
      canonicalPins(
        'bank-statement',
        { opening_balance: 100, total_deposits: 50, total_withdrawals: 20, closing_balance: 100 },
        'facts',
      ),
    ).toThrow(/opening_balance, total_deposits, total_withdrawals, closing_balance contradict each other/);
    expect(() => canonicalPins('invoice', { frobnicate: 1 }, 'facts')).toThrow(
      /an invoice has no fact named "frobnicate"; it prints vendor_name, .*line_items\./,
    );
    expect(() => canonicalPins('invoice', { total: 'a lot' }, 'facts')).toThrow(
      'facts: "total" must be a number, got "a lot".',
    );
    expect(() => canonicalPins('invoice', { total: 1, amount_due: 2 }, 'facts')).toThrow(/names total, which another/);
  });

  it('rescale keeps the cents exact and the proportions', () => {
    const scaled = rescale([10, 20, 30.01], 120);
    expect(scaled.reduce((s, v) => s + v, 0)).toBeCloseTo(120, 10);
    expect(scaled.map((v) => Math.round(v))).toEqual([20, 40, 60]);
    expect(rescale([1, 1, 1], 1).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
  });
});
