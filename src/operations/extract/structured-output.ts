import { defaultExport, unchecked } from '../../unchecked.js';
import { faker } from '../../core/fake.js';
import { generateSync } from 'json-schema-faker';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft7, { type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import generatedMeta2020 from './meta-2020.generated.js';
import type { DocumentModel } from '../../core/document-model.js';
import { BoundedMemo } from '../../core/bounded-memo.js';
import { columnFor, matchFact, matchList, matchStructure } from './fact-names.js';
import { textOf } from '../../core/text.js';

/**
 * `structured_output.values` for a user's JSON Schema, read from the document: a property whose
 * name names a fact of the document (see `fact-names.ts`) gets that fact, converted to the
 * schema's type, and cites the blocks that print it; arrays map to the document's tables
 * (transactions, line items) and lists (authors). The schema wins: a fact that cannot satisfy
 * its property is replaced by a generated value with no citation, as is every property that
 * names no fact (json-schema-faker, with faker for realistic strings). The values a consumer
 * receives always validate against the schema it sent (ajv). An unusable schema gives
 * `schema_error`, as Pulse does.
 */
export type StructuredResult =
  { ok: true; values: unknown; citations: Citations } | { ok: false; schema_error: string };

/**
 * One shape for citations on every endpoint: the path of each value (`account_holder`,
 * `account.holder`, `transactions`) to the ids of the blocks in `bounding_boxes` whose text
 * contains it; `[]` for a value the document does not hold.
 */
export type Citations = Record<string, string[]>;

// ajv-formats ships CJS with a default export; under NodeNext the namespace is what we get.
const addFormats = defaultExport<(a: unknown) => void>(addFormatsModule);
const Ajv7 = defaultExport<typeof Ajv2020>(AjvDraft7);

const META_2020_ID = 'https://json-schema.org/draft/2020-12/schema';
// The standalone validator ajv generated (`npm run schema`): a validate function, typed as ajv's are.
const validateMeta2020 = unchecked<((schema: unknown) => boolean) & { errors?: ErrorObject[] | null }>(
  generatedMeta2020,
);

/** One ajv per JSON Schema draft, made when a schema of that draft first comes (each costs tens of ms). */
const ajvs = new Map<'2020' | '7', InstanceType<typeof Ajv2020>>();
function ajvFor(draft: '2020' | '7'): InstanceType<typeof Ajv2020> {
  let ajv = ajvs.get(draft);
  if (!ajv) {
    // 2020-12 schemas are checked against the meta-schema by the validator compiled ahead of time.
    ajv = new (draft === '7' ? Ajv7 : Ajv2020)({
      strict: false,
      allErrors: true,
      validateFormats: true,
      validateSchema: draft === '7',
    });
    addFormats(ajv);
    ajvs.set(draft, ajv);
  }
  return ajv;
}

const compiled = new WeakMap<object, (v: unknown) => boolean>();
const byContent = new BoundedMemo<(v: unknown) => boolean>(500);

/** Realistic faker methods by property name, tried first; kept only if the result validates. */
const HINTS: [RegExp, string, 'string' | 'number' | 'integer'][] = [
  [/email/i, 'internet.email', 'string'],
  [/phone|mobile|fax/i, 'phone.number', 'string'],
  [/(^|_)(first_?name|given_?name)$/i, 'person.firstName', 'string'],
  [/(^|_)(last_?name|surname|family_?name)$/i, 'person.lastName', 'string'],
  [
    /holder|owner|customer|client|patient|employee|author|signatory|person|(^|_)name$|full_?name|contact/i,
    'person.fullName',
    'string',
  ],
  [/company|vendor|supplier|merchant|employer|organi[sz]ation|bank|payee|payer|issuer/i, 'company.name', 'string'],
  [/street|address/i, 'location.streetAddress', 'string'],
  [/city|town/i, 'location.city', 'string'],
  [/(^|_)(state|province)$/i, 'location.state', 'string'],
  [/(^|_)(period|month)$/i, 'date.month', 'string'],
  [/country/i, 'location.country', 'string'],
  [/zip|postal|postcode/i, 'location.zipCode', 'string'],
  [/currency/i, 'finance.currencyCode', 'string'],
  [/iban/i, 'finance.iban', 'string'],
  [/account_?(number|no|num)|routing/i, 'finance.accountNumber', 'string'],
  [/title|subject|heading/i, 'lorem.sentence', 'string'],
  [/description|summary|notes?|comment|memo|abstract/i, 'lorem.sentences', 'string'],
  [/url|website|link/i, 'internet.url', 'string'],
  [/(^|_)(id|number|no|ref|reference)$/i, 'string.alphanumeric', 'string'],
  [/amount|balance|total|price|cost|fee|tax|subtotal|payment|salary|revenue/i, 'finance.amount', 'number'],
  [/quantity|qty|count|age|year/i, 'number.int', 'integer'],
];

export function generateStructuredOutput(
  schema: Record<string, unknown>,
  seed: number,
  model?: DocumentModel,
): StructuredResult {
  let validate: (v: unknown) => boolean;
  try {
    validate = validatorFor(schema);
  } catch (e) {
    return { ok: false, schema_error: `Invalid JSON schema: ${(e as Error).message}` };
  }
  const attempts: Record<string, unknown>[] = [withHints(schema), schema];
  let lastError = '';
  for (let i = 0; i < 6; i++) {
    const candidate = attempts[Math.min(i, 1)] as Record<string, unknown>;
    faker.seed(seed + i);
    try {
      const values = generateSync(candidate, {
        seed: seed + i,
        alwaysFakeOptionals: true,
        maxDefaultItems: 3,
        extensions: { faker },
      });
      if (validate(values)) return fromDocument(schema, values, validate, model);
      lastError = 'generated values did not satisfy the schema';
    } catch (e) {
      lastError = (e as Error).message;
      if (i >= 1) break;
    }
  }
  return { ok: false, schema_error: `Could not produce values for this schema: ${lastError}` };
}

/**
 * Why `schema` cannot be used (the `schema_error` a run would report), or undefined: the check a
 * schema run makes when it is submitted, made once per distinct schema (it generates values).
 */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  return problems.get(JSON.stringify(schema), () => {
    const probe = generateStructuredOutput(schema, 1);
    return { problem: probe.ok ? undefined : probe.schema_error };
  }).problem;
}
const problems = new BoundedMemo<{ problem: string | undefined }>(500);

/**
 * The validator of `schema`, compiled once per distinct schema: requests carry the same schema
 * as new objects, and compiling it each time was most of a schema run's cost.
 */
function validatorFor(schema: Record<string, unknown>): (v: unknown) => boolean {
  const hit = compiled.get(schema);
  if (hit) return hit;
  const v = byContent.get(JSON.stringify(schema), () => compile(schema));
  compiled.set(schema, v);
  return v;
}

function compile(schema: Record<string, unknown>): (v: unknown) => boolean {
  const draft = ajvFor(typeof schema.$schema === 'string' && /draft-0[467]/.test(schema.$schema) ? '7' : '2020');
  const copy = { ...schema };
  delete copy.$id; // a user's $id must not collide across requests in the shared ajv instance
  if (typeof copy.$schema === 'string' && !/json-schema\.org/.test(copy.$schema)) delete copy.$schema;
  checkAgainstMetaSchema(draft, copy);
  const fn = draft.compile(copy);
  // ajv keeps every schema it compiled (by object) for reuse; this memo is what reuses them here.
  draft.removeSchema(copy);
  return (value: unknown) => fn(value);
}

/**
 * Throws what ajv's own check throws (`schema is invalid: ...`) for a schema its meta-schema
 * refuses. The 2020-12 meta-schema (the default) is the validator generated ahead of time; any
 * other `$schema` goes through ajv, which compiles that meta-schema on first use.
 */
function checkAgainstMetaSchema(ajv: InstanceType<typeof Ajv2020>, schema: Record<string, unknown>): void {
  if (ajv.opts.validateSchema) return; // ajv checks it in compile
  if (schema.$schema !== undefined && schema.$schema !== META_2020_ID) {
    void ajv.validateSchema(schema, true); // throws when invalid (throw = true)
    return;
  }
  if (!validateMeta2020(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(validateMeta2020.errors)}`);
}

/** A copy of the schema with `faker` hints on plain string/number leaves named like real fields. */
function withHints(schema: unknown, key = ''): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema as Record<string, unknown>;
  const s = { ...(schema as Record<string, unknown>) };
  if (s.properties && typeof s.properties === 'object') {
    s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, withHints(v, k)]));
  }
  if (s.items && typeof s.items === 'object') s.items = withHints(s.items, key);
  // Only unconstrained leaves get a hint: a length, step or exclusive bound is json-schema-faker's job.
  const constrained = [
    'enum',
    'const',
    'format',
    'pattern',
    'faker',
    'minLength',
    'maxLength',
    'multipleOf',
    'exclusiveMinimum',
    'exclusiveMaximum',
  ];
  const plain = !constrained.some((k) => k in s);
  // A date for `*_date` and `*_on` (a real calendar date, which json-schema-faker makes for format: date).
  if (
    plain &&
    key &&
    s.type === 'string' &&
    /(^|_)(date|dob|birthday)$|_on$|^date/i.test(key.replace(/([a-z])([A-Z])/g, '$1_$2'))
  ) {
    s.format = 'date';
    return s;
  }
  if (plain && key && (s.type === 'string' || s.type === 'number' || s.type === 'integer')) {
    const hint = HINTS.find(
      ([re, , type]) => re.test(key) && (type === s.type || (type === 'integer' && s.type === 'number')),
    );
    if (hint) {
      const [, method, type] = hint;
      if (type === 'string') s.faker = method;
      else if (method === 'finance.amount') {
        const min = typeof s.minimum === 'number' ? s.minimum : 0;
        const max = typeof s.maximum === 'number' ? s.maximum : 10000;
        s.faker = { 'finance.amount': [{ min, max, dec: s.type === 'integer' ? 0 : 2 }] };
      } else {
        const min = typeof s.minimum === 'number' ? s.minimum : 1;
        const max = typeof s.maximum === 'number' ? s.maximum : 100;
        s.faker = { 'number.int': [{ min, max }] };
      }
    }
  }
  return s;
}

/**
 * Puts the document's facts over the generated values where each satisfies its property's
 * schema, and cites them. If the whole no longer validates (a constraint across properties),
 * the generated values stand, uncited.
 */
function fromDocument(
  schema: Record<string, unknown>,
  generated: unknown,
  validate: (v: unknown) => boolean,
  model: DocumentModel | undefined,
): StructuredResult {
  const citations: Citations = {};
  if (!model || !isObject(generated)) return { ok: true, values: generated, citations: uncited(schema, generated) };
  const values = structuredClone(generated);
  const text = new Map(model.blocks.map((b) => [b.id, b.text]));
  overlay(schema, values, '', model, text, citations);
  if (validate(values)) return { ok: true, values, citations };
  return { ok: true, values: generated, citations: uncited(schema, generated) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeOf = (s: Record<string, unknown>): string | undefined =>
  Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') as string | undefined) : (s.type as string | undefined);

function overlay(
  schema: Record<string, unknown>,
  target: Record<string, unknown>,
  prefix: string,
  model: DocumentModel,
  text: Map<string, string>,
  citations: Citations,
): void {
  const props = isObject(schema.properties) ? schema.properties : {};
  for (const [key, raw] of Object.entries(props)) {
    if (!(key in target) || !isObject(raw)) continue;
    const sub = raw;
    const path = prefix ? `${prefix}.${key}` : key;
    citations[path] = [];
    const type = typeOf(sub);
    if (type === 'object' && isObject(target[key])) {
      delete citations[path];
      overlay(sub, target[key], path, model, text, citations);
      continue;
    }
    if (type === 'array') {
      const items = isObject(sub.items) ? sub.items : undefined;
      const structure = matchStructure(model, key);
      const list = matchList(model, key);
      let candidate: unknown[] | undefined;
      let blocks: string[] = [];
      if (structure && items && typeOf(items) === 'object' && isObject(items.properties)) {
        const template =
          Array.isArray(target[key]) && isObject((target[key] as unknown[])[0])
            ? ((target[key] as unknown[])[0] as Record<string, unknown>)
            : {};
        const max = typeof sub.maxItems === 'number' ? sub.maxItems : 100;
        candidate = structure.items.slice(0, max).map((item) => {
          const out: Record<string, unknown> = { ...template };
          for (const [prop, propSchema] of Object.entries(items.properties as Record<string, unknown>)) {
            const column = columnFor(structure, prop);
            const v = column === undefined || !isObject(propSchema) ? undefined : convert(item[column], propSchema);
            if (v !== undefined && subValid(propSchema as Record<string, unknown>, v)) out[prop] = v;
          }
          return out;
        });
        blocks = structure.blocks;
      } else if (list && (!items || typeOf(items) === 'string')) {
        candidate = list.values.slice(0, typeof sub.maxItems === 'number' ? sub.maxItems : undefined);
        blocks = list.blocks;
      }
      if (candidate && subValid(sub, candidate)) {
        target[key] = candidate;
        citations[path] = blocks;
      }
      continue;
    }
    const fact = matchFact(model, key);
    if (!fact) continue;
    const v = convert(fact.value, sub);
    if (v === undefined || !subValid(sub, v)) continue; // the schema wins: the generated value stays, uncited
    target[key] = v;
    citations[path] = fact.blocks.filter((id) => text.get(id)?.includes(textOf(v)));
  }
}

/** A fact's value as the property's type, or undefined when it cannot be one. */
function convert(value: unknown, schema: Record<string, unknown>): unknown {
  if (value === undefined) return undefined;
  switch (typeOf(schema)) {
    case 'string':
      return textOf(value);
    case 'number':
      return typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(textOf(value)) ? Number(value) : undefined;
    case 'integer': {
      const n = typeof value === 'number' ? value : /^-?\d+$/.test(textOf(value)) ? Number(value) : NaN;
      return Number.isInteger(n) ? n : undefined;
    }
    case 'boolean':
    case 'object':
    case 'array':
      return undefined;
    default:
      return value;
  }
}

/** Whether a value satisfies one property's schema (enum, bounds, format, pattern, ...). */
function subValid(schema: Record<string, unknown>, value: unknown): boolean {
  // Most properties say only their type: checked here, without compiling a validator for each.
  if (
    Object.keys(schema).every((k) => k === 'type' || k === 'description' || k === 'title') &&
    typeof schema.type === 'string'
  ) {
    const t = schema.type;
    if (t === 'string') return typeof value === 'string';
    if (t === 'number') return typeof value === 'number' && Number.isFinite(value);
    if (t === 'integer') return Number.isInteger(value);
  }
  try {
    return validatorFor(schema)(value);
  } catch {
    return false;
  }
}

/** Every value path of the schema with no citation: the values were generated. */
function uncited(schema: Record<string, unknown>, values: unknown, prefix = ''): Citations {
  const out: Citations = {};
  if (!isObject(values) || !isObject(schema.properties)) return out;
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (!(key in values)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(sub) && typeOf(sub) === 'object' && isObject(values[key]))
      Object.assign(out, uncited(sub, values[key], path));
    else out[path] = [];
  }
  return out;
}
