import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { checkPattern } from './core/patterns.js';
import { checkSecret } from './delivery/signing.js';

/**
 * The mock's own settings (config file, flags and env vars, fault rules from the admin API) are
 * checked against JSON Schemas with ajv: fastify loads ajv anyway, so this costs nothing at
 * start-up (zod's import was a good part of it, bench/RESULTS.md), and the same schemas make
 * the config file's schema for editors (`configFileSchema`, pulse-mock.config.schema.json).
 */
export type JsonSchema = Record<string, unknown>;

/** Formats for what JSON Schema cannot say, each with the message a user sees. */
const FORMATS: Record<string, { valid: (s: string) => boolean; message: string }> = {
  whsec: {
    valid: (s) => checkSecret(s) === undefined,
    message: 'not a whsec_ secret (whsec_ + base64 of 24..64 bytes)',
  },
  'http-url': { valid: (u) => /^https?:\/\/[^\s]+$/.test(u) && URL.canParse(u), message: 'not an http(s) URL' },
  'match-pattern': { valid: (p) => checkPattern(p) === undefined, message: 'not a valid glob or /regex/' },
};

/**
 * strictRequired is off: a discriminator's tag is required where oneOf's branches define it.
 * At run time the schemas are not checked against JSON Schema's meta-schema (compiling that
 * slowed start-up, bench/RESULTS.md); they are fixed, and a test checks every one of them (`SETTINGS_SCHEMAS`).
 */
export const AJV_OPTIONS = { allErrors: false, strict: true, strictRequired: false, discriminator: true } as const;
/** Every schema a checker was made for, for that test. */
export const SETTINGS_SCHEMAS: JsonSchema[] = [];

const instances = new Map<boolean, Ajv>();
function settingsAjv(coerce: boolean): Ajv {
  let ajv = instances.get(coerce);
  if (!ajv) {
    ajv = new Ajv({ coerceTypes: coerce, ...AJV_OPTIONS, validateSchema: false });
    for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: f.valid });
    instances.set(coerce, ajv);
  }
  return ajv;
}

/** The first problem with a value: where it is (keys and indexes) and what is wrong. */
export interface SettingsProblem {
  path: (string | number)[];
  message: string;
}

/**
 * A checker for one schema, compiled on first use. It returns the value (with strings coerced to
 * the schema's types when `coerce`: flags and env vars arrive as strings, "4050", "true"), or
 * the problem to report.
 */
export function settingsChecker<T>(
  schema: JsonSchema,
  { coerce = false } = {},
): (value: unknown) => { ok: true; value: T } | { ok: false; problem: SettingsProblem } {
  let validate: ValidateFunction | undefined;
  SETTINGS_SCHEMAS.push(schema);
  return (value) => {
    // Wrapped so that a top-level scalar can be coerced too (ajv coerces in place).
    validate ??= settingsAjv(coerce).compile({ type: 'object', properties: { value: schema }, required: ['value'] });
    const holder = { value: structuredClone(value) };
    if (validate(holder)) return { ok: true, value: holder.value as T };
    return { ok: false, problem: describe(validate.errors ?? []) };
  };
}

/** The deepest error is the most specific one (an anyOf reports every branch, then itself). */
function describe(errors: ErrorObject[]): SettingsProblem {
  const depth = (e: ErrorObject) =>
    e.instancePath.split('/').length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 0.5 : 0);
  const e = errors.reduce((best, x) => (depth(x) > depth(best) ? x : best), errors[0] as ErrorObject);
  const path = e.instancePath
    .split('/')
    .slice(2)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path, message: `unknown key "${String(params.additionalProperty)}"` };
    case 'required':
      return { path, message: `missing "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'format':
      return { path, message: FORMATS[String(params.format)]?.message ?? e.message ?? 'invalid' };
    case 'discriminator':
      return {
        path: [...path, String(params.tag)],
        message: `unknown ${String(params.tag)} ${JSON.stringify(params.tagValue)}`,
      };
    default:
      return { path, message: e.message ?? 'invalid' };
  }
}

/** `outcomes[0].match`, from a top-level name and a problem's path. */
export function pathLabel(root: string, path: (string | number)[]): string {
  return root + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}
