import { faker } from './fake.js';
import type { DocumentInfo, DocumentKind, FormKind } from './documents.js';
import { seedFrom } from './random.js';
import { BoundedMemo, deepFreeze } from './bounded-memo.js';
import { rescale, type PinnedItem, type Pins } from './pins.js';

/**
 * One seeded document per extraction: its facts (a statement's bank, holder, balances and
 * transactions; an invoice's parties, number, dates, lines and totals; ...), its pages, and
 * blocks with stable ids (`ttl-1`, `txt-1`, `tbl-1`, `img-1`, `ftr-1`), text and boxes. Markdown,
 * bounding boxes, chunks, html, structured output and figures are all derived from it, so every
 * output agrees with every other. Nothing is stored: the same info and seed make the same model.
 *
 * Facts are printed verbatim in the block that holds them (amounts as plain decimals, dates as
 * ISO dates), so "the value is in the document" holds for every fact a result reports.
 */
export type BlockType = 'title' | 'text' | 'table' | 'image' | 'footer';
export type FactValue = string | number;

export interface Figure {
  visual: 'chart' | 'image';
  title: string;
  /** A chart's bars (label, value); a picture has none. */
  bars: { label: string; value: number }[];
  filename: string;
}

/** A fillable field of a form: what `/form/detect` reports as a cell. */
export interface FormField {
  label: string;
  type: FieldType;
}
export type FieldType = 'text' | 'checkbox' | 'signature';

export interface Block {
  id: string;
  type: BlockType;
  page: number;
  /** What the block says, as markdown (what `bounding_boxes` entries carry as `content`). */
  text: string;
  /** Its outline on the page: 8 numbers, the 4 corners (x, y) from the top left, as fractions of the page. */
  box: number[];
  table?: { headers: string[]; rows: string[][] };
  figure?: Figure;
  field?: FormField;
}

export interface Fact {
  name: string;
  value: FactValue;
  /** Ids of the blocks that print it. */
  blocks: string[];
}

/** A repeated structure of the document (a statement's transactions, an invoice's lines), from its tables. */
export interface Structure {
  name: string;
  columns: string[];
  items: Record<string, FactValue>[];
  blocks: string[];
}

/** A list of values printed in one block (a paper's authors). */
export interface FactList {
  name: string;
  values: string[];
  blocks: string[];
}

export interface DocumentModel {
  info: DocumentInfo;
  /** The processed pages' blocks, in reading order. */
  blocks: Block[];
  /** Facts printed on the processed pages. */
  facts: Fact[];
  structures: Structure[];
  lists: FactList[];
}

/** The generator reseeded for one page's table rows. */
const pageFaker = (seed: number) => {
  faker.seed(seed);
  return faker;
};
const money = (n: number) => Math.round(n * 100) / 100;
const amount = (n: number) => n.toFixed(2);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const cap = (s: string) => s.replace(/^\w/, (c) => c.toUpperCase());
const DAY = 86_400_000;
const addDays = (iso: string, days: number) =>
  /^\d{4}-\d\d-\d\d$/.test(iso) ? isoDay(new Date(Date.parse(iso) + days * DAY)) : undefined;

/** The seeded facts with the pinned ones over them (those this kind prints; the rest were refused already). */
function pinned<T extends Record<string, FactValue>>(facts: T, pins: Pins | undefined): T {
  for (const k of Object.keys(facts)) {
    const v = pins?.[k];
    if (typeof v === 'string' || typeof v === 'number') (facts as Record<string, FactValue>)[k] = v;
  }
  return facts;
}
const pinnedNumber = (pins: Pins | undefined, k: string) => (typeof pins?.[k] === 'number' ? pins[k] : undefined);
const pinnedText = (pins: Pins | undefined, k: string) => (typeof pins?.[k] === 'string' ? pins[k] : undefined);

/** Pinned items spread over the pages in order, as evenly as they go (every page gets its share). */
function spread<T>(items: readonly T[], pages: number): Map<number, T[]> {
  const per = Math.ceil(items.length / pages);
  return new Map(Array.from({ length: pages }, (_, i) => [i + 1, items.slice(i * per, (i + 1) * per)] as const));
}

/** Builds what one document kind prints, page by page; `Page` collects its blocks. */
class Page {
  readonly blocks: {
    type: BlockType;
    text: string;
    table?: Block['table'];
    figure?: Figure;
    field?: FormField;
    facts?: string[];
    structure?: string;
  }[] = [];
  constructor(readonly n: number) {}
  title(text: string, level = 1, facts?: string[]) {
    this.blocks.push({ type: 'title', text: `${'#'.repeat(level)} ${text}`, ...(facts ? { facts } : {}) });
  }
  text(text: string, facts?: string[]) {
    this.blocks.push({ type: 'text', text, ...(facts ? { facts } : {}) });
  }
  table(headers: string[], rows: string[][], structure?: string) {
    const md = [
      `| ${headers.join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
    this.blocks.push({ type: 'table', text: md, table: { headers, rows }, ...(structure ? { structure } : {}) });
  }
  figure(figure: Figure) {
    this.blocks.push({ type: 'image', text: `![${figure.title}](${figure.filename})`, figure });
  }
  /** A blank field of a form: its label, and a line to write on or a box to tick. */
  field(field: FormField) {
    const text = field.type === 'checkbox' ? `[ ] ${field.label}` : `${field.label}: ____________`;
    this.blocks.push({ type: 'text', text, field });
  }
}

interface KindPlan {
  /** The facts, decided once for the whole document. */
  facts: Record<string, FactValue>;
  lists?: Record<string, string[]>;
  structures?: Record<
    string,
    {
      columns: string[];
      perPage: (page: number) => Record<string, FactValue>[];
      headers: string[];
      row: (item: Record<string, FactValue>) => string[];
    }
  >;
  /** What page `n` prints (facts by name in the text they appear in); `tables()` puts the page's structure tables there. */
  page(p: Page, first: boolean, last: boolean, tables: () => void): void;
}

/**
 * Models already built, by seed and info: a sync extract, a schema run on it and its figures all
 * read the same model, and building one (faker reseeded per page) was most of their cost. Frozen,
 * so no reader can change what the next one reads. Few: a model of a long document is large.
 */
const models = new BoundedMemo<DocumentModel>(64);

export function buildDocumentModel(info: DocumentInfo, seed: number): DocumentModel {
  const key = `${seed}\u0000${info.kind}\u0000${info.name}\u0000${info.title ?? ''}\u0000${info.totalPages}\u0000${info.pages.join(',')}\u0000${info.pins ? JSON.stringify(info.pins) : ''}`;
  // Built from a copy of `info`: what is frozen is the model's own, never the caller's.
  return models.get(key, () =>
    deepFreeze(
      generateModel(
        { ...info, pages: [...info.pages], ...(info.pins ? { pins: structuredClone(info.pins) } : {}) },
        seed,
      ),
    ),
  );
}

function generateModel(info: DocumentInfo, seed: number): DocumentModel {
  faker.seed(seedFrom(seed, 'document', info.kind));
  const plan = PLANS[info.kind](info, seed);
  const total = info.totalPages;
  const counters: Record<string, number> = {};
  const prefix: Record<BlockType, string> = { title: 'ttl', text: 'txt', table: 'tbl', image: 'img', footer: 'ftr' };
  const blocks: Block[] = [];
  const factBlocks = new Map<string, string[]>();
  const structureItems = new Map<string, { items: Record<string, FactValue>[]; blocks: string[] }>();
  for (const n of info.pages) {
    // Each page from its own seed: page 3 is the same whether or not page 2 was asked for.
    faker.seed(seedFrom(seed, 'page', info.kind, n));
    const page = new Page(n);
    const items = new Map<string, Record<string, FactValue>[]>();
    const tables = () => {
      for (const [name, s] of Object.entries(plan.structures ?? {})) {
        const rows = s.perPage(n);
        items.set(name, rows);
        if (rows.length) page.table(s.headers, rows.map(s.row), name);
      }
    };
    plan.page(page, n === 1, n === total, tables);
    page.blocks.push({ type: 'footer', text: `Page ${n} of ${total}` });
    let y = 0.06;
    for (const b of page.blocks) {
      const id = `${prefix[b.type]}-${(counters[b.type] = (counters[b.type] ?? 0) + 1)}`;
      const lines = Math.max(1, Math.ceil(b.text.length / 90)) + (b.table ? b.table.rows.length : 0);
      const h = b.type === 'footer' ? 0.02 : b.type === 'image' ? 0.3 : Math.min(0.5, 0.018 * lines + 0.01);
      const top = b.type === 'footer' ? 0.95 : Math.min(y, 0.9);
      blocks.push({
        id,
        type: b.type,
        page: n,
        text: b.text,
        // A field is as wide as what is written in it: a box to tick, or a line.
        box: box(0.08, top, b.field ? (b.field.type === 'checkbox' ? 0.3 : 0.7) : 0.92, Math.min(0.99, top + h)),
        ...(b.table ? { table: b.table } : {}),
        ...(b.figure ? { figure: b.figure } : {}),
        ...(b.field ? { field: b.field } : {}),
      });
      if (b.type !== 'footer') y = top + h + 0.015;
      for (const f of b.facts ?? []) factBlocks.set(f, [...(factBlocks.get(f) ?? []), id]);
      if (b.structure) {
        const s = structureItems.get(b.structure) ?? { items: [], blocks: [] };
        s.items.push(...(items.get(b.structure) ?? []));
        s.blocks.push(id);
        structureItems.set(b.structure, s);
      }
    }
  }
  const facts: Fact[] = [];
  for (const [name, value] of Object.entries(plan.facts)) {
    const ids = factBlocks.get(name);
    if (ids?.length) facts.push({ name, value, blocks: ids });
  }
  const structures: Structure[] = [...structureItems].map(([name, s]) => ({
    name,
    columns: plan.structures?.[name]?.columns ?? [],
    items: s.items,
    blocks: s.blocks,
  }));
  const lists: FactList[] = Object.entries(plan.lists ?? {}).flatMap(([name, values]) => {
    const ids = factBlocks.get(name);
    return ids ? [{ name, values, blocks: ids }] : [];
  });
  return { info, blocks, facts, structures, lists };
}

function box(x1: number, y1: number, x2: number, y2: number): number[] {
  return [x1, y1, x2, y1, x2, y2, x1, y2].map((n) => Math.round(n * 10000) / 10000);
}

/** Each form kind's fields, in the order they are printed. */
export const FORM_FIELDS: Record<FormKind, [string, FieldType][]> = {
  'intake-form': [
    ['Patient name', 'text'],
    ['Date of birth', 'text'],
    ['Phone', 'text'],
    ['Email', 'text'],
    ['Address', 'text'],
    ['Insurance provider', 'text'],
    ['Policy number', 'text'],
    ['New patient', 'checkbox'],
    ['Has allergies', 'checkbox'],
    ['Patient signature', 'signature'],
  ],
  'application-form': [
    ['Full name', 'text'],
    ['Date of birth', 'text'],
    ['Email', 'text'],
    ['Phone', 'text'],
    ['Address', 'text'],
    ['Position applied for', 'text'],
    ['Start date', 'text'],
    ['Authorized to work', 'checkbox'],
    ['Applicant signature', 'signature'],
  ],
  'claim-form': [
    ['Claimant name', 'text'],
    ['Policy number', 'text'],
    ['Date of loss', 'text'],
    ['Claim amount', 'text'],
    ['Description of loss', 'text'],
    ['Police report filed', 'checkbox'],
    ['Claimant signature', 'signature'],
  ],
  'tax-form': [
    ['Name', 'text'],
    ['Business name', 'text'],
    ['Taxpayer identification number', 'text'],
    ['Address', 'text'],
    ['City, state and ZIP', 'text'],
    ['Individual or sole proprietor', 'checkbox'],
    ['C corporation', 'checkbox'],
    ['Signature', 'signature'],
    ['Date', 'text'],
  ],
};

/** A blank form: its title on the first page, then its fields spread over its pages in order. */
const formPlan =
  (kind: FormKind) =>
  (info: DocumentInfo): KindPlan => {
    const fields = FORM_FIELDS[kind];
    const perPage = Math.ceil(fields.length / info.totalPages);
    const title = pinnedText(info.pins, 'form_title') ?? info.title ?? `${cap(kind.replace('-form', ''))} form`;
    return {
      facts: { form_title: title },
      page(p, first) {
        if (first) p.title(title, 1, ['form_title']);
        fields.slice((p.n - 1) * perPage, p.n * perPage).forEach(([label, type]) => p.field({ label, type }));
      },
    };
  };

const PLANS: Record<DocumentKind, (info: DocumentInfo, seed: number) => KindPlan> = {
  'intake-form': formPlan('intake-form'),
  'application-form': formPlan('application-form'),
  'claim-form': formPlan('claim-form'),
  'tax-form': formPlan('tax-form'),
  'bank-statement': (info, seed) => {
    const pins = info.pins;
    const seededEnd = faker.date.recent({ days: 200, refDate: '2026-06-30' });
    // A pinned period moves the statement there: its transactions are drawn inside it.
    const pinnedStart = pinnedText(pins, 'period_start');
    const pinnedEnd = pinnedText(pins, 'period_end');
    const end = pinnedEnd
      ? new Date(pinnedEnd)
      : pinnedStart
        ? new Date(Date.parse(pinnedStart) + 30 * DAY)
        : seededEnd;
    const start = pinnedStart ? new Date(pinnedStart) : new Date(end.getTime() - 30 * DAY);
    const seededOpening = money(faker.number.float({ min: 200, max: 9000 }));
    // Every page's transactions are drawn from the page's own seed, so the balances run over all pages.
    let drawnPages = new Map<number, { date: string; description: string; value: number }[]>();
    for (let n = 1; n <= info.totalPages; n++) {
      const f = pageFaker(seedFrom(seed, 'transactions', n));
      // A page covers its share of the period, in date order; the balance runs over that order.
      const from = new Date(start.getTime() + ((n - 1) / info.totalPages) * (end.getTime() - start.getTime()));
      const to = new Date(start.getTime() + (n / info.totalPages) * (end.getTime() - start.getTime()));
      const drawn = Array.from({ length: f.number.int({ min: 4, max: 10 }) }, () => {
        const credit = f.datatype.boolean({ probability: 0.3 });
        const who = f.company
          .name()
          .replace(/[,-].*$/, '')
          .trim();
        return {
          date: isoDay(f.date.between({ from, to })),
          description: credit
            ? `${f.helpers.arrayElement(['Deposit from', 'Transfer from', 'Refund from'])} ${who}`
            : `${f.helpers.arrayElement(['Card payment to', 'Direct debit to', 'Transfer to'])} ${who}`,
          value: money((credit ? 1 : -1) * f.number.float({ min: 3, max: credit ? 2500 : 600 })),
        };
      });
      drawn.sort((a, b) => a.date.localeCompare(b.date));
      drawnPages.set(n, drawn);
    }
    const pinnedTxs = pins?.transactions as PinnedItem[] | undefined;
    if (pinnedTxs)
      drawnPages = spread(
        pinnedTxs
          .map((t) => ({ date: String(t.date), description: String(t.description), value: t.amount as number }))
          .sort((a, b) => a.date.localeCompare(b.date)),
        info.totalPages,
      );
    const all = [...drawnPages.values()].flat();
    const sumOf = (sign: 1 | -1) => money(all.reduce((s, t) => s + (Math.sign(t.value) === sign ? t.value : 0), 0));
    // Pinned totals (or balances) make the seeded transactions that make them up agree.
    let deposits = pinnedNumber(pins, 'total_deposits') ?? sumOf(1);
    let withdrawals = pinnedNumber(pins, 'total_withdrawals') ?? -sumOf(-1);
    const openPin = pinnedNumber(pins, 'opening_balance');
    const closePin = pinnedNumber(pins, 'closing_balance');
    if (!pinnedTxs && openPin !== undefined && closePin !== undefined) {
      const net = money(closePin - openPin);
      if (pinnedNumber(pins, 'total_deposits') === undefined) deposits = money(Math.max(0, net + withdrawals));
      withdrawals = money(deposits - net);
      if (withdrawals < 0) [deposits, withdrawals] = [money(deposits - withdrawals), 0];
    }
    if (!pinnedTxs) {
      for (const [sign, target] of [
        [1, deposits],
        [-1, -withdrawals],
      ] as const) {
        const side = all.filter((t) => Math.sign(t.value) === sign);
        if (Math.abs(side.reduce((sum, t) => sum + t.value, 0) - target) < 0.005) continue;
        if (side.length === 0) {
          // No seeded row of that side to rescale: the statement gets one, on its last day.
          const row = { date: isoDay(end), description: sign > 0 ? 'Deposit' : 'Withdrawal', value: target };
          drawnPages.get(info.totalPages)?.push(row);
          continue;
        }
        rescale(
          side.map((t) => t.value),
          target,
        ).forEach((v, i) => (side[i]!.value = v));
      }
    }
    const opening = openPin ?? (closePin !== undefined ? money(closePin - deposits + withdrawals) : seededOpening);
    const perPage = new Map<number, Record<string, FactValue>[]>();
    let balance = opening;
    for (const [n, rows] of drawnPages)
      perPage.set(
        n,
        rows.map(({ date, description, value }) => {
          balance = money(balance + value);
          return { date, description, amount: value, balance };
        }),
      );
    faker.seed(seedFrom(seed, 'facts', info.kind)); // the facts do not depend on how many pages drew rows
    const facts = pinned(
      {
        bank_name: `${faker.company
          .name()
          .replace(/[,-].*$/, '')
          .trim()} Bank`,
        account_holder: faker.person.fullName(),
        account_number: `****${faker.string.numeric(4)}`,
        period_start: isoDay(start),
        period_end: isoDay(end),
        statement_period: `${isoDay(start)} to ${isoDay(end)}`,
        opening_balance: opening,
        closing_balance: balance,
        total_deposits: deposits,
        total_withdrawals: withdrawals,
        currency: 'USD',
      },
      pins,
    );
    return {
      facts,
      structures: {
        transactions: {
          columns: ['date', 'description', 'amount', 'balance'],
          headers: ['Date', 'Description', 'Amount (USD)', 'Balance (USD)'],
          perPage: (n) => perPage.get(n) ?? [],
          row: (t) => [String(t.date), String(t.description), amount(t.amount as number), amount(t.balance as number)],
        },
      },
      page(p, first, last, tables) {
        if (first) {
          p.title(info.title ?? 'Account Statement');
          p.text(`**${facts.bank_name}**`, ['bank_name']);
          p.text(`Account holder: ${facts.account_holder}`, ['account_holder']);
          p.text(`Account number: ${facts.account_number}`, ['account_number']);
          const period = String(facts.statement_period);
          if (period.includes(String(facts.period_start)) && period.includes(String(facts.period_end)))
            p.text(`Statement period: ${period}`, ['statement_period', 'period_start', 'period_end']);
          else {
            // A pinned period that does not name the dates: the dates get a line of their own.
            p.text(`Statement period: ${period}`, ['statement_period']);
            p.text(`From ${facts.period_start} to ${facts.period_end}`, ['period_start', 'period_end']);
          }
          p.text(`Opening balance: $${amount(facts.opening_balance)} ${facts.currency}`, [
            'opening_balance',
            'currency',
          ]);
        }
        tables();
        if (last) {
          p.text(`Total deposits: $${amount(facts.total_deposits)}`, ['total_deposits']);
          p.text(`Total withdrawals: $${amount(facts.total_withdrawals)}`, ['total_withdrawals']);
          p.text(`Closing balance: $${amount(facts.closing_balance)} ${facts.currency}`, [
            'closing_balance',
            'currency',
          ]);
        }
      },
    };
  },

  invoice: (info, seed) => {
    const pins = info.pins;
    const issued = faker.date.recent({ days: 90, refDate: '2026-06-30' });
    let perPage = new Map<number, Record<string, FactValue>[]>();
    for (let n = 1; n <= info.totalPages; n++) {
      const f = pageFaker(seedFrom(seed, 'lines', n));
      perPage.set(
        n,
        Array.from({ length: f.number.int({ min: 2, max: 6 }) }, () => {
          const quantity = f.number.int({ min: 1, max: 20 });
          const unit = money(f.number.float({ min: 5, max: 400 }));
          return { description: f.commerce.productName(), quantity, unit_price: unit, amount: money(quantity * unit) };
        }),
      );
    }
    const pinnedLines = pins?.line_items as PinnedItem[] | undefined;
    if (pinnedLines) perPage = spread(pinnedLines, info.totalPages);
    const lines = [...perPage.values()].flat();
    const sum = money(lines.reduce((s, l) => s + (l.amount as number), 0));
    // Pinned amounts win; the others are derived from them (8% tax), and the seeded lines
    // rescaled to add up to a pinned subtotal.
    const [subPin, taxPin, totalPin] = (['subtotal', 'tax', 'total'] as const).map((k) => pinnedNumber(pins, k));
    const subtotal =
      subPin ??
      (pinnedLines
        ? sum
        : totalPin !== undefined
          ? taxPin !== undefined
            ? money(totalPin - taxPin)
            : money(totalPin / 1.08)
          : sum);
    if (!pinnedLines && Math.abs(subtotal - sum) >= 0.005) {
      // Each line keeps its quantity, its unit price rescaled to the cent; the last line takes
      // what rounding left (as one unit if its quantity cannot carry it to the cent).
      const factor = subtotal / sum;
      let rest = subtotal;
      lines.forEach((line, i) => {
        const quantity = line.quantity as number;
        if (i < lines.length - 1) {
          const unit = money((line.unit_price as number) * factor);
          Object.assign(line, { unit_price: unit, amount: money(unit * quantity) });
          rest = money(rest - (line.amount as number));
          return;
        }
        const unit = money(rest / quantity);
        Object.assign(
          line,
          money(unit * quantity) === rest
            ? { unit_price: unit, amount: rest }
            : { quantity: 1, unit_price: rest, amount: rest },
        );
      });
    }
    const tax = taxPin ?? (totalPin !== undefined ? money(totalPin - subtotal) : money(subtotal * 0.08));
    faker.seed(seedFrom(seed, 'facts', info.kind)); // the facts do not depend on how many pages drew rows
    const seeded = {
      vendor_name: faker.company.name(),
      vendor_address: `${faker.location.streetAddress()}, ${faker.location.city()} ${faker.location.zipCode('#####')}`,
      invoice_number: `INV-${faker.string.numeric(6)}`,
      invoice_date: isoDay(issued),
      due_date: isoDay(new Date(issued.getTime() + 30 * DAY)),
      customer_name: faker.person.fullName(),
      customer_company: faker.company.name(),
      subtotal,
      tax,
      total: totalPin ?? money(subtotal + tax),
      currency: 'USD',
    };
    const invoiceDate = pinnedText(pins, 'invoice_date');
    // A pinned issue date moves the due date with it (30 days), unless that is pinned too.
    if (invoiceDate && !pins?.due_date) seeded.due_date = addDays(invoiceDate, 30) ?? seeded.due_date;
    const facts = pinned(seeded, pins);
    const taxLabel = Math.abs(facts.tax - money(facts.subtotal * 0.08)) < 0.005 ? 'Tax (8%)' : 'Tax';
    return {
      facts,
      structures: {
        line_items: {
          columns: ['description', 'quantity', 'unit_price', 'amount'],
          headers: ['Description', 'Qty', 'Unit price (USD)', 'Amount (USD)'],
          perPage: (n) => perPage.get(n) ?? [],
          row: (l) => [
            String(l.description),
            String(l.quantity),
            amount(l.unit_price as number),
            amount(l.amount as number),
          ],
        },
      },
      page(p, first, last, tables) {
        if (first) {
          p.title(info.title ?? 'INVOICE');
          p.text(`**${facts.vendor_name}**`, ['vendor_name']);
          p.text(facts.vendor_address, ['vendor_address']);
          p.text(`Invoice number: ${facts.invoice_number}`, ['invoice_number']);
          p.text(`Invoice date: ${facts.invoice_date}`, ['invoice_date']);
          p.text(`Due date: ${facts.due_date}`, ['due_date']);
          p.text(`Bill to: ${facts.customer_name}, ${facts.customer_company}`, ['customer_name', 'customer_company']);
        }
        tables();
        if (last) {
          p.text(`Subtotal: $${amount(facts.subtotal)}`, ['subtotal']);
          p.text(`${taxLabel}: $${amount(facts.tax)}`, ['tax']);
          p.text(`Total due: $${amount(facts.total)} ${facts.currency}`, ['total', 'currency']);
        }
      },
    };
  },

  'research-paper': (info) => {
    const seededAuthors = Array.from({ length: faker.number.int({ min: 2, max: 5 }) }, () => faker.person.fullName());
    const authors = (info.pins?.authors as string[] | undefined) ?? seededAuthors;
    const facts = pinned(
      {
        title: info.title ?? cap(faker.lorem.sentence({ min: 4, max: 9 }).replace(/\.$/, '')),
        abstract: faker.lorem.paragraph({ min: 4, max: 7 }),
        publication_date: isoDay(faker.date.past({ years: 3, refDate: '2026-06-30' })),
        doi: `10.${faker.string.numeric(4)}/${faker.string.alphanumeric(8).toLowerCase()}`,
        journal: `Journal of ${cap(faker.word.noun())} ${cap(faker.word.noun())}`,
      },
      info.pins,
    );
    return {
      facts,
      lists: { authors },
      page(p, first) {
        if (first) {
          p.title(facts.title, 1, ['title']);
          p.text(authors.join(', '), ['authors']);
          p.text(`${facts.journal}, published ${facts.publication_date}, DOI ${facts.doi}`, [
            'journal',
            'publication_date',
            'doi',
          ]);
          p.title('Abstract', 2);
          p.text(facts.abstract, ['abstract']);
          return;
        }
        p.title(`${p.n}. ${cap(faker.lorem.words({ min: 2, max: 4 }))}`, 2);
        p.text(faker.lorem.paragraphs(2, '\n\n'));
        if (p.n % 3 === 0)
          p.table(
            ['Model', 'BLEU', 'Params'],
            Array.from({ length: 3 }, () => [
              faker.word.noun(),
              faker.number.float({ min: 20, max: 45, fractionDigits: 1 }).toFixed(1),
              `${faker.number.int({ min: 10, max: 400 })}M`,
            ]),
          );
        if (p.n % 4 === 2) p.figure(chart(`Figure ${p.n}: ${cap(faker.lorem.words(3))}`, p.n));
      },
    };
  },

  contract: (info) => {
    const facts = pinned(
      {
        title:
          info.title ??
          `${faker.helpers.arrayElement(['Master Services', 'Non-Disclosure', 'Supply', 'Lease'])} Agreement`,
        effective_date: isoDay(faker.date.past({ years: 2, refDate: '2026-06-30' })),
        provider: faker.company.name(),
        client: faker.company.name(),
        term_months: faker.helpers.arrayElement([6, 12, 24, 36]),
        contract_value: money(faker.number.float({ min: 5000, max: 500000 })),
        governing_law: faker.location.state(),
      },
      info.pins,
    );
    return {
      facts,
      page(p, first) {
        if (first) {
          p.title(facts.title, 1, ['title']);
          p.text(
            `This Agreement is entered into on ${facts.effective_date} between **${facts.provider}** ("Provider") and **${facts.client}** ("Client").`,
            ['effective_date', 'provider', 'client'],
          );
          p.text(`Term: ${facts.term_months} months`, ['term_months']);
          p.text(`Contract value: $${amount(facts.contract_value)}`, ['contract_value']);
          p.text(`Governing law: the State of ${facts.governing_law}`, ['governing_law']);
        }
        p.title(
          `Section ${p.n}. ${faker.helpers.arrayElement(['Definitions', 'Term', 'Payment', 'Confidentiality', 'Termination', 'Indemnification', 'Governing Law'])}`,
          2,
        );
        p.text(faker.lorem.paragraphs(2, '\n\n'));
      },
    };
  },

  report: (info) => {
    const company = faker.company.name();
    const facts = pinned(
      {
        title:
          info.title ??
          `${company} ${faker.helpers.arrayElement(['Annual Report', 'Quarterly Review', 'Project Summary'])}`,
        company,
        author: faker.person.fullName(),
        report_date: isoDay(faker.date.past({ years: 1, refDate: '2026-06-30' })),
        fiscal_year: faker.number.int({ min: 2019, max: 2025 }),
        revenue: money(faker.number.float({ min: 1e5, max: 5e7 })),
        net_income: money(faker.number.float({ min: -1e6, max: 5e6 })),
      },
      info.pins,
    );
    return {
      facts,
      page(p, first) {
        if (first) {
          p.title(facts.title, 1, ['title']);
          p.text(`Prepared by ${facts.author} for ${facts.company}, ${facts.report_date}`, [
            'author',
            'company',
            'report_date',
          ]);
          p.text(
            `Fiscal year ${facts.fiscal_year}: revenue $${amount(facts.revenue)}, net income $${amount(facts.net_income)}`,
            ['fiscal_year', 'revenue', 'net_income'],
          );
          p.figure(chart(`Revenue by quarter, ${facts.fiscal_year}`, p.n));
        }
        p.title(cap(faker.company.catchPhrase()), 2);
        p.text(faker.lorem.paragraphs(2, '\n\n'));
      },
    };
  },

  'slide-deck': (info) => {
    const facts = pinned(
      {
        title: info.title ?? cap(faker.company.catchPhrase()),
        presenter: faker.person.fullName(),
        company: faker.company.name(),
        presentation_date: isoDay(faker.date.past({ years: 1, refDate: '2026-06-30' })),
      },
      info.pins,
    );
    return {
      facts,
      page(p, first) {
        if (first) {
          p.title(facts.title, 1, ['title']);
          p.text(`${facts.presenter}, ${facts.company}, ${facts.presentation_date}`, [
            'presenter',
            'company',
            'presentation_date',
          ]);
          return;
        }
        p.title(`Slide ${p.n}: ${cap(faker.company.catchPhrase())}`, 2);
        p.text(Array.from({ length: 3 }, () => `- ${faker.company.buzzPhrase()}`).join('\n'));
        if (p.n % 3 === 0) p.figure(chart(`Slide ${p.n} chart`, p.n));
      },
    };
  },

  spreadsheet: (info) => {
    const facts = pinned({ title: info.title ?? `${faker.company.name()} regional figures` }, info.pins);
    return {
      facts,
      page(p, first) {
        if (first) p.title(facts.title, 1, ['title']);
        p.title(`Sheet ${p.n}`, 2);
        p.table(
          ['Region', 'Q1', 'Q2', 'Q3', 'Q4'],
          Array.from({ length: 6 }, () => [
            faker.location.state(),
            ...Array.from({ length: 4 }, () => amount(faker.number.float({ min: 10, max: 5000 }))),
          ]),
        );
      },
    };
  },

  image: (info) => {
    const facts = pinned({ caption: info.title ?? cap(faker.lorem.sentence({ min: 4, max: 8 })) }, info.pins);
    return {
      facts,
      page(p) {
        p.text(facts.caption, ['caption']);
        p.figure({ visual: 'image', title: facts.caption, bars: [], filename: `page-${p.n}-image-1.png` });
      },
    };
  },
};

/** A bar chart whose bars the PNG draws and the description reads. */
function chart(title: string, page: number): Figure {
  const labels = ['Q1', 'Q2', 'Q3', 'Q4'];
  return {
    visual: 'chart',
    title,
    bars: labels.map((label) => ({ label, value: faker.number.int({ min: 10, max: 100 }) })),
    filename: `page-${page}-chart-1.png`,
  };
}

/** Markdown of the processed pages: blocks in order (footers left out), pages separated by a blank line. */
export function markdownOf(model: DocumentModel): string {
  return model.blocks
    .filter((b) => b.type !== 'footer')
    .map((b) => b.text)
    .join('\n\n');
}

/** The same markdown with each block preceded by its id as an HTML comment (`<!-- txt-3 -->`), invisible when rendered. */
export function markdownWithIds(model: DocumentModel): string {
  return model.blocks
    .filter((b) => b.type !== 'footer')
    .map((b) => `<!-- ${b.id} -->\n${b.text}`)
    .join('\n\n');
}
