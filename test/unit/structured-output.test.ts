import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft7 from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { generateStructuredOutput } from '../../src/operations/extract/structured-output.js';
import validateMeta2020 from '../../src/operations/extract/meta-2020.generated.js';
import { GENERATED_FILE, metaValidatorSource } from '../../scripts/meta-validator.js';

const dir = new URL('../../fixtures/schemas/', import.meta.url);
const schemas = readdirSync(dir).map((f) => [f, JSON.parse(readFileSync(new URL(f, dir), 'utf8'))] as const);

// A validator set up here, independently of the one the generator uses internally.
function validatorFor(schema: Record<string, unknown>) {
  const draft7 = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07');
  const ajv = draft7
    ? new (AjvDraft7 as unknown as typeof Ajv2020)({ strict: false, allErrors: true })
    : new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: unknown) => void)(ajv);
  return ajv.compile(schema);
}

describe('structured output', () => {
  it.each(schemas)('%s: values validate against the schema for many seeds', (_name, schema) => {
    const validate = validatorFor(schema);
    for (let seed = 1; seed <= 25; seed++) {
      const r = generateStructuredOutput(schema, seed);
      if (!r.ok) throw new Error(r.schema_error);
      if (!validate(r.values))
        throw new Error(`seed ${seed}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(r.values)}`);
    }
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const [, schema] = schemas[0] as readonly [string, Record<string, unknown>];
    expect(generateStructuredOutput(schema, 5)).toEqual(generateStructuredOutput(schema, 5));
    expect(generateStructuredOutput(schema, 5)).not.toEqual(generateStructuredOutput(schema, 6));
  });

  it('reads like the fields it fills: names, emails, money', () => {
    const r = generateStructuredOutput(
      {
        type: 'object',
        required: ['account_holder', 'email', 'balance'],
        properties: { account_holder: { type: 'string' }, email: { type: 'string' }, balance: { type: 'number' } },
      },
      3,
    );
    if (!r.ok) throw new Error(r.schema_error);
    const v = r.values as { account_holder: string; email: string; balance: number };
    expect(v.account_holder).toMatch(/^[A-Z][\p{L}'.-]+( [\p{L}'.-]+)+$/u);
    expect(v.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/i);
    expect(Math.round(v.balance * 100) / 100).toBe(v.balance);
  });

  it('without a document, cites nothing: every value path maps to no block', () => {
    const r = generateStructuredOutput(
      {
        type: 'object',
        required: ['a', 'b'],
        properties: {
          a: { type: 'string' },
          b: { type: 'object', properties: { c: { type: 'integer' } }, required: ['c'] },
        },
      },
      1,
    );
    if (!r.ok) throw new Error(r.schema_error);
    expect(r.citations).toEqual({ a: [], 'b.c': [] });
  });

  it('fills *_date with a date and a period with no US state', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = generateStructuredOutput(
        {
          type: 'object',
          required: ['signed_date', 'statement_period', 'issuedOn'],
          properties: {
            signed_date: { type: 'string' },
            statement_period: { type: 'string' },
            issuedOn: { type: 'string' },
          },
        },
        seed,
      );
      if (!r.ok) throw new Error(r.schema_error);
      const v = r.values as Record<string, string>;
      expect(v.signed_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(v.issuedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect([
        'January',
        'February',
        'March',
        'April',
        'May',
        'June',
        'July',
        'August',
        'September',
        'October',
        'November',
        'December',
      ]).toContain(v.statement_period);
    }
  });

  it.each([
    ['an invalid type', { type: 'bogus' }],
    ['an unresolvable $ref', { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }],
    [
      'contradictory bounds',
      { type: 'object', required: ['a'], properties: { a: { type: 'string', minLength: 5, maxLength: 2 } } },
    ],
    ['an impossible schema', { not: {} }],
  ])('gives schema_error for %s', (_what, schema) => {
    const r = generateStructuredOutput(schema, 1);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.schema_error).toMatch(/schema/i);
  });
});

describe('the 2020-12 meta-schema check compiled ahead of time', () => {
  // Schemas ajv's own meta-schema check refuses, and ones it takes: the generated check must agree.
  const refused: unknown[] = [
    { type: 'bogus' },
    { type: 'object', properties: 5 },
    { type: 'object', required: 'name' },
    { type: 'array', items: 'string' },
    { type: 'string', minLength: -1 },
    { type: 'object', properties: { a: { type: ['string', 'nope'] } } },
    { $defs: { x: { enum: 'a' } } },
    { type: 'object', additionalProperties: 'no' },
  ];
  const taken: unknown[] = [
    {},
    true,
    { type: 'object', properties: { a: { type: 'string', pattern: '^a' } }, required: ['a'] },
    { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'number' }] },
  ];

  it("refuses and takes what ajv does, with ajv's message", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const schema of [...refused, ...taken]) {
      expect(validateMeta2020(schema), JSON.stringify(schema)).toBe(ajv.validateSchema(schema as object) as boolean);
      if (typeof schema !== 'object') continue;
      const r = generateStructuredOutput({ ...(schema as object) }, 1);
      if (refused.includes(schema))
        expect(r.ok ? '' : r.schema_error, JSON.stringify(schema)).toContain('schema is invalid');
    }
  });

  it('is current (regenerate with `npm run schema` after an ajv update)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(metaValidatorSource());
  });
});
