import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { DocumentInfo, DocumentKind } from '../../src/core/documents.js';
import { FACT_NAMES, STRUCTURE_NAMES } from '../../src/operations/extract/fact-names.js';
import { normalizeExtractRequest } from '../../src/operations/extract/request.js';
import { generateExtraction, type ExtractResult } from '../../src/operations/extract/result.js';

/**
 * Issue 18's property: for every document kind and 50 seeds, a schema asks for the kind's facts
 * by several names, and every output of the extraction agrees with every other.
 */
const KINDS = Object.keys(FACT_NAMES) as DocumentKind[];
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: unknown) => void)(ajv);

/** The type each fact has in the document (what a consumer's schema would ask for). */
const NUMERIC = /balance|deposits|withdrawals|subtotal|^tax$|^total$|value|revenue|income|term_months|fiscal_year/;

/** A schema naming each fact by the seed's pick among its names, plus the kind's tables and lists. */
function schemaFor(kind: DocumentKind, seed: number) {
  const properties: Record<string, unknown> = {};
  const asked: Record<string, string> = {};
  for (const [fact, names] of Object.entries(FACT_NAMES[kind])) {
    const all = [fact, ...names];
    // A spelling a consumer might use: as listed, camelCase, or SHOUTING-KEBAB.
    const raw = all[(seed * 7 + fact.length) % all.length] as string;
    const spelled = [
      raw,
      raw.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
      raw.toUpperCase().replace(/_/g, '-'),
    ][seed % 3] as string;
    if (spelled in properties) continue;
    properties[spelled] = { type: NUMERIC.test(fact) ? 'number' : 'string' };
    asked[spelled] = fact;
  }
  if (kind === 'bank-statement')
    properties[STRUCTURE_NAMES.transactions!.names[seed % 3] as string] = {
      type: 'array',
      items: {
        type: 'object',
        properties: { date: { type: 'string' }, memo: { type: 'string' }, amount: { type: 'number' } },
        required: ['date', 'amount'],
      },
    };
  if (kind === 'invoice')
    properties[STRUCTURE_NAMES.line_items!.names[seed % 3] as string] = {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          item: { type: 'string' },
          qty: { type: 'integer' },
          unit_price: { type: 'number' },
          amount: { type: 'number' },
        },
      },
    };
  if (kind === 'research-paper') properties.authors = { type: 'array', items: { type: 'string' } };
  return { schema: { type: 'object', properties, required: Object.keys(properties) }, asked };
}

function extraction(
  kind: DocumentKind,
  seed: number,
  schema: Record<string, unknown>,
  pages = 1 + (seed % 3),
): ExtractResult {
  const info: DocumentInfo = {
    name: `doc-${seed}.pdf`,
    kind,
    totalPages: pages,
    pages: Array.from({ length: pages }, (_, i) => i + 1),
  };
  const req = normalizeExtractRequest({ file_url: `https://e.com/doc-${seed}.pdf`, structured_output: { schema } });
  return generateExtraction(req, info, { seed });
}

const at = (values: unknown, path: string) =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);

describe('one coherent document behind every result', () => {
  it.each(KINDS)(
    '%s: for 50 seeds, values validate, cited values are what the cited blocks say, cited ids exist, and the markdown holds every reported fact',
    (kind) => {
      for (let seed = 1; seed <= 50; seed++) {
        const { schema, asked } = schemaFor(kind, seed);
        const r = extraction(kind, seed, schema);
        const so = r.structured_output;
        if (!so) throw new Error(`seed ${seed}: ${r.schema_error}`);
        const validate = ajv.compile(schema);
        expect(validate(so.values), `seed ${seed}: ${JSON.stringify(validate.errors)}`).toBe(true);

        const boxes = [
          ...r.bounding_boxes.Title,
          ...r.bounding_boxes.Text,
          ...r.bounding_boxes.Tables,
          ...r.bounding_boxes.Images,
          ...r.bounding_boxes.Footer,
        ];
        const content = new Map(boxes.map((b) => [b.id, b.content]));
        expect(new Set(boxes.map((b) => b.id)).size, 'block ids are unique').toBe(boxes.length);
        for (const [path, ids] of Object.entries(so.citations)) {
          for (const id of ids)
            expect(content.has(id), `seed ${seed}: ${path} cites ${id}, which is in no bounding box`).toBe(true);
          if (ids.length === 0) continue;
          const value = at(so.values, path);
          const cited = ids.map((id) => content.get(id) as string).join('\n');
          const leaves = Array.isArray(value)
            ? value.flatMap((item) => (typeof item === 'object' && item !== null ? Object.values(item) : [item]))
            : [value];
          for (const leaf of leaves) {
            if (typeof leaf === 'string' && !Array.isArray(value))
              expect(cited, `seed ${seed}: ${path}`).toContain(leaf);
            if (Array.isArray(value) || typeof leaf === 'number') {
              // Tables print amounts with two decimals, lists and text as they are.
              const printed = typeof leaf === 'number' && !Number.isInteger(leaf) ? leaf.toFixed(2) : String(leaf);
              if (cited.includes(printed) || cited.includes(String(leaf))) continue;
              // An item property with no column is generated, and uncited only as a value, not as a row.
              if (Array.isArray(value) && typeof leaf === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(leaf)) continue;
              throw new Error(`seed ${seed}: ${path} reports ${JSON.stringify(leaf)}, not in ${ids.join(', ')}`);
            }
            expect(r.markdown, `seed ${seed}: the markdown holds ${path}`).toContain(
              typeof leaf === 'number' ? String(leaf) : (leaf as string),
            );
          }
        }
        // Every fact asked by a name of its own, whose type the schema accepts, is found in the document and cited.
        for (const [name, fact] of Object.entries(asked)) {
          expect(so.citations[name], `seed ${seed}: ${name} (${fact}) is cited`).not.toEqual([]);
        }
      }
    },
  );

  it('the schema wins: an integer for an amount, or an enum without the fact, is generated and uncited', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const schema = {
        type: 'object',
        properties: {
          closing_balance: { type: 'integer' },
          bank_name: { enum: ['First Bank', 'Second Bank'] },
          account_holder: { type: 'string' },
        },
        required: ['closing_balance', 'bank_name', 'account_holder'],
      };
      const so = extraction('bank-statement', seed, schema).structured_output;
      if (!so) throw new Error('no structured output');
      const v = so.values as Record<string, unknown>;
      expect(Number.isInteger(v.closing_balance)).toBe(true);
      expect(['First Bank', 'Second Bank']).toContain(v.bank_name);
      expect(so.citations).toMatchObject({ bank_name: [], account_holder: [expect.stringMatching(/^txt-\d+$/)] });
      // 1820.55 cannot be an integer: unless the balance happens to be whole, it is not cited.
      const closing = so.citations.closing_balance as string[];
      if (closing.length)
        expect(extraction('bank-statement', seed, schema).markdown).toContain(String(v.closing_balance));
    }
  });

  it('properties that name no fact get plausible values and no citation', () => {
    const schema = {
      type: 'object',
      properties: {
        favourite_colour: { type: 'string' },
        renewal_date: { type: 'string' },
        late_fee_amount: { type: 'number' },
      },
      required: ['favourite_colour', 'renewal_date', 'late_fee_amount'],
    };
    const so = extraction('invoice', 3, schema).structured_output;
    expect(so?.citations).toEqual({ favourite_colour: [], renewal_date: [], late_fee_amount: [] });
    expect((so?.values as Record<string, string>).renewal_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('markdown, bounding boxes, markdown_with_ids, chunks and page selection come from the same blocks', () => {
    const info: DocumentInfo = { name: 'statement.pdf', kind: 'bank-statement', totalPages: 3, pages: [2, 3] };
    const req = normalizeExtractRequest({
      file_url: 'https://e.com/statement.pdf',
      pages: '2-3',
      extensions: { chunking: { chunk_types: ['page'] } },
    });
    const r = generateExtraction(req, info, { seed: 11 });
    const full = generateExtraction(
      normalizeExtractRequest({
        file_url: 'https://e.com/statement.pdf',
        extensions: { chunking: { chunk_types: ['page'] } },
      }),
      { ...info, pages: [1, 2, 3] },
      { seed: 11 },
    );
    // Page 2 reads the same whether or not page 1 was asked for.
    expect(r.extensions?.chunking?.page?.[0]).toBe(full.extensions?.chunking?.page?.[1]);
    const nonFooter = [...r.bounding_boxes.Title, ...r.bounding_boxes.Text, ...r.bounding_boxes.Tables];
    for (const b of nonFooter) {
      expect(r.markdown).toContain(b.content);
      expect(r.bounding_boxes.markdown_with_ids).toContain(`<!-- ${b.id} -->\n${b.content}`);
      expect([2, 3]).toContain(b.page_number);
    }
    expect(r.bounding_boxes.markdown_with_ids.replace(/<!-- [a-z]+-\d+ -->\n/g, '')).toBe(r.markdown);
  });
});

describe('the synonym table (fact-names.ts) and the kinds it names', () => {
  it('names exactly the facts each kind prints, by the names its plan gives them', async () => {
    const { buildDocumentModel } = await import('../../src/core/document-model.js');
    for (const kind of KINDS) {
      const printed = new Set<string>();
      for (const seed of [1, 2, 3]) {
        const info: DocumentInfo = {
          name: `x.${kind === 'image' ? 'png' : 'pdf'}`,
          kind,
          totalPages: 2,
          pages: [1, 2],
        };
        for (const f of buildDocumentModel(info, seed).facts) printed.add(f.name);
      }
      expect([kind, [...printed].sort()]).toEqual([kind, Object.keys(FACT_NAMES[kind]).sort()]);
    }
  });
});

describe('the API guide (docs/api.md)', () => {
  it('prints the synonym table as fact-names.ts has it', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const [kind, facts] of Object.entries(FACT_NAMES))
      for (const [fact, names] of Object.entries(facts))
        expect(readme).toContain(
          `| ${kind} | \`${fact}\` | ${names
            .filter((n) => n !== fact)
            .map((n) => `\`${n}\``)
            .join(', ')} |`,
        );
  });
});
