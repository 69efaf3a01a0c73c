import { defaultExport } from '../unchecked.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Schema } from './json-schema.js';

const addFormats = defaultExport<(a: Ajv) => void>(addFormatsModule);

let ajv: Ajv | undefined;

/**
 * The one ajv configuration for request input, used by the request pipeline and by the fastify
 * server's own routes: types coerced as fastify does (`"true"` for a boolean in a form post,
 * one value for an array), defaults filled, unknown properties kept for the schema to judge.
 *
 * The schemas are ours and fixed, so they are not checked against JSON Schema's meta-schema at
 * run time (compiling it was a good part of a unit-test file's first request); a test checks
 * every schema compiled here (`REQUEST_SCHEMAS`) against it instead.
 */
function requestAjv(): Ajv {
  if (!ajv) {
    ajv = new Ajv({
      coerceTypes: 'array',
      useDefaults: true,
      removeAdditional: false,
      allErrors: false,
      strict: false,
      validateSchema: false,
    });
    addFormats(ajv);
  }
  return ajv;
}

/** Every schema a request validator was made for, for the test that checks them against the meta-schema. */
export const REQUEST_SCHEMAS = new Set<object>();

export type Validator = ((data: unknown) => boolean) & { errors?: ValidateFunction['errors'] };

/** A validator for `schema` compiled on its first use: compiling every route up front was most of start-up. */
export function lazyValidator(schema: Schema | object): Validator {
  // Bounded: a process that builds many apps makes new objects for the same few dozen schemas.
  if (REQUEST_SCHEMAS.size < 500) REQUEST_SCHEMAS.add(schema);
  let compiled: ValidateFunction | undefined;
  const validate: Validator = (data) => {
    compiled ??= requestAjv().compile(schema);
    const ok = compiled(data);
    validate.errors = compiled.errors;
    return ok;
  };
  return validate;
}

/** Compiled validators by schema object, shared by every caller (the request pipeline, pipeline steps). */
const validators = new WeakMap<object, Validator>();

/** The one (lazily compiled) validator of `schema`. */
export function validatorFor(schema: object): Validator {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = lazyValidator(schema)));
  return validate;
}

/** `body/pages must be string`: where the input is wrong and how, as fastify words it. */
export function validationMessage(context: string, errs: ErrorObject[] | null | undefined): string {
  const e = errs?.[0];
  return `${context}${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`;
}
