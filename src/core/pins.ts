import type { DocumentKind } from './documents.js';
import type { FactValue } from './document-model.js';
import { errors } from './errors.js';
import { FACT_NAMES, normalizeName, STRUCTURE_NAMES } from '../operations/extract/fact-names.js';

/**
 * Facts a test fixes in a document (`documents: [{ match, facts }]`, `x-pulse-mock-facts`): the
 * document model prints them, and every output derived from it (markdown, structured output,
 * citations, split, tables, schema) reads them. Names are the synonym table's (docs/api.md),
 * made canonical here; a kind's tables (`line_items`, `transactions`) and lists (`authors`) too.
 */
export type PinnedItem = Record<string, FactValue>;
export type Pins = Record<string, FactValue | PinnedItem[] | string[]>;

/** The most an `x-pulse-mock-facts` header may carry. */
export const MAX_FACTS_BYTES = 8192;

/** The tables and lists each kind prints, which a pin may replace. */
const COLLECTIONS: Partial<Record<DocumentKind, string[]>> = {
  invoice: ['line_items'],
  'bank-statement': ['transactions'],
  'research-paper': ['authors'],
};

const cents = (n: number) => Math.round(n * 100) / 100;
const close = (a: number, b: number) => Math.abs(a - b) < 0.005;

/**
 * `raw` with each name made canonical for `kind` and each value checked; a name the kind does
 * not print, a value of the wrong type or pins that contradict each other are a 400 naming them.
 * `field` is where they came from (`x-pulse-mock-facts`, `documents[0].facts`).
 */
export function canonicalPins(kind: DocumentKind, raw: unknown, field: string): Pins {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw errors.invalidParameter(field, `${field} must be a JSON object of fact names and values.`, raw);
  const names = FACT_NAMES[kind];
  const scalar = new Map<string, string>();
  for (const [fact, synonyms] of Object.entries(names))
    for (const n of [fact, ...synonyms]) if (!scalar.has(normalizeName(n))) scalar.set(normalizeName(n), fact);
  const collections = COLLECTIONS[kind] ?? [];
  const collectionOf = (p: string) =>
    collections.find((c) =>
      [c, ...(STRUCTURE_NAMES[c]?.names ?? [])].some((n) => normalizeName(n) === normalizeName(p)),
    );
  const pins: Pins = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const collection = collectionOf(name);
    const fact = collection ?? scalar.get(normalizeName(name));
    if (!fact) {
      unknown.push(name);
      continue;
    }
    if (fact in pins)
      throw errors.invalidParameter(field, `${field}: "${name}" names ${fact}, which another name pins too.`, name);
    pins[fact] = collection
      ? collectionValue(kind, collection, name, value, field)
      : NUMERIC.has(fact)
        ? numericValue(name, scalarValue(name, value, field), field)
        : scalarValue(name, value, field);
  }
  if (unknown.length)
    throw errors.invalidParameter(
      field,
      `${field}: ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} has no fact named ${unknown.map((n) => `"${n}"`).join(', ')}; it prints ${[...Object.keys(names), ...collections].join(', ')}.`,
      unknown,
    );
  checkAgreement(kind, pins, field);
  return pins;
}

/** Facts printed as amounts or counts: a pin gives them a number (`"1,200.50"` and `"$1200"` read as 1200.5 and 1200). */
const NUMERIC = new Set([
  'subtotal',
  'tax',
  'total',
  'opening_balance',
  'closing_balance',
  'total_deposits',
  'total_withdrawals',
  'term_months',
  'contract_value',
  'fiscal_year',
  'revenue',
  'net_income',
]);

function numericValue(name: string, value: FactValue, field: string): number {
  const n = typeof value === 'number' ? value : Number(value.replace(/[$,\s]/g, ''));
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === ''))
    throw errors.invalidParameter(field, `${field}: "${name}" must be a number, got ${JSON.stringify(value)}.`, value);
  return n;
}

function scalarValue(name: string, value: unknown, field: string): FactValue {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw errors.invalidParameter(field, `${field}: "${name}" must be a string or a number.`, value);
}

function collectionValue(
  kind: DocumentKind,
  collection: string,
  name: string,
  value: unknown,
  field: string,
): PinnedItem[] | string[] {
  if (!Array.isArray(value) || value.length > 500)
    throw errors.invalidParameter(field, `${field}: "${name}" must be a list of at most 500 entries.`, value);
  if (collection === 'authors') return value.map((v) => String(scalarValue(name, v, field)));
  const columns = STRUCTURE_NAMES[collection]?.columns ?? {};
  const columnOf = (p: string) =>
    Object.entries(columns).find(([c, ns]) => [c, ...ns].some((n) => normalizeName(n) === normalizeName(p)))?.[0];
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw errors.invalidParameter(field, `${field}: ${name}[${i}] must be an object.`, item);
    const out: PinnedItem = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      const column = columnOf(k);
      if (!column)
        throw errors.invalidParameter(
          field,
          `${field}: ${name}[${i}] has "${k}"; a ${kind}'s ${collection} have ${Object.keys(columns).join(', ')}.`,
          k,
        );
      const where = `${name}[${i}].${k}`;
      const got = scalarValue(where, v, field);
      out[column] = ['quantity', 'unit_price', 'amount'].includes(column) ? numericValue(where, got, field) : got;
    }
    return completeItem(collection, out, `${name}[${i}]`, field);
  });
}

/** An item with what it leaves out derived (an invoice line's amount from quantity and price). */
function completeItem(collection: string, item: PinnedItem, where: string, field: string): PinnedItem {
  const num = (k: string) => (typeof item[k] === 'number' ? item[k] : undefined);
  if (collection === 'line_items') {
    const quantity = num('quantity') ?? 1;
    const amount =
      num('amount') ?? (num('unit_price') !== undefined ? cents(quantity * num('unit_price')!) : undefined);
    if (amount === undefined)
      throw errors.invalidParameter(field, `${field}: ${where} needs an amount or a unit_price.`, item);
    const unit = num('unit_price') ?? cents(amount / quantity);
    if (num('unit_price') !== undefined && num('amount') !== undefined && !close(cents(quantity * unit), amount))
      throw errors.invalidParameter(
        field,
        `${field}: ${where} contradicts itself: quantity ${quantity} x unit_price ${unit} is not amount ${amount}.`,
        item,
      );
    return { description: String(item.description ?? 'Item'), quantity, unit_price: unit, amount };
  }
  // transactions
  if (num('amount') === undefined)
    throw errors.invalidParameter(field, `${field}: ${where} needs a numeric amount.`, item);
  if (typeof item.date !== 'string' || !/^\d{4}-\d\d-\d\d$/.test(item.date))
    throw errors.invalidParameter(field, `${field}: ${where} needs a date as YYYY-MM-DD.`, item);
  return { date: item.date, description: String(item.description ?? 'Transaction'), amount: num('amount')! };
}

/** Pins that cannot all be true are refused, naming them. */
function checkAgreement(kind: DocumentKind, p: Pins, field: string): void {
  const n = (k: string) => (typeof p[k] === 'number' ? p[k] : undefined);
  const contradict = (names: string[], why: string) => {
    throw errors.invalidParameter(field, `${field}: ${names.join(', ')} contradict each other: ${why}.`, names);
  };
  if (kind === 'invoice') {
    const lines = p.line_items as PinnedItem[] | undefined;
    const sum = lines ? cents(lines.reduce((s, l) => s + (l.amount as number), 0)) : undefined;
    const [subtotal, tax, total] = [n('subtotal'), n('tax'), n('total')];
    if (sum !== undefined && subtotal !== undefined && !close(sum, subtotal))
      contradict(['line_items', 'subtotal'], `the lines add up to ${sum}, not ${subtotal}`);
    const sub = subtotal ?? sum;
    if (sub !== undefined && tax !== undefined && total !== undefined && !close(cents(sub + tax), total))
      contradict(
        [subtotal !== undefined ? 'subtotal' : 'line_items', 'tax', 'total'],
        `${sub} + ${tax} is not ${total}`,
      );
  }
  if (kind === 'bank-statement') {
    const txs = p.transactions as PinnedItem[] | undefined;
    const dep = txs ? cents(txs.reduce((s, t) => s + Math.max(0, t.amount as number), 0)) : n('total_deposits');
    const wd = txs ? cents(txs.reduce((s, t) => s - Math.min(0, t.amount as number), 0)) : n('total_withdrawals');
    if (txs && n('total_deposits') !== undefined && !close(dep!, n('total_deposits')!))
      contradict(['transactions', 'total_deposits'], `the deposits add up to ${dep}, not ${n('total_deposits')}`);
    if (txs && n('total_withdrawals') !== undefined && !close(wd!, n('total_withdrawals')!))
      contradict(
        ['transactions', 'total_withdrawals'],
        `the withdrawals add up to ${wd}, not ${n('total_withdrawals')}`,
      );
    const [open, closing] = [n('opening_balance'), n('closing_balance')];
    if (open !== undefined && closing !== undefined && dep !== undefined && wd !== undefined)
      if (!close(cents(open + dep - wd), closing))
        contradict(
          [
            'opening_balance',
            txs ? 'transactions' : 'total_deposits',
            ...(txs ? [] : ['total_withdrawals']),
            'closing_balance',
          ],
          `${open} + ${dep} - ${wd} is not ${closing}`,
        );
    const [start, end] = [p.period_start, p.period_end];
    if (typeof start === 'string' && typeof end === 'string' && start > end)
      contradict(['period_start', 'period_end'], `${start} is after ${end}`);
  }
}

/**
 * Scales `values` so they add up to `target` (to the cent): a pinned total makes the seeded lines
 * that make it up agree. The last value takes the rounding.
 */
export function rescale(values: number[], target: number): number[] {
  const sum = values.reduce((s, v) => s + v, 0);
  if (values.length === 0) return values;
  const scaled =
    sum === 0 ? values.map(() => cents(target / values.length)) : values.map((v) => cents((v * target) / sum));
  const drift = cents(target - scaled.reduce((s, v) => s + v, 0));
  scaled[scaled.length - 1] = cents(scaled[scaled.length - 1]! + drift);
  return scaled;
}
