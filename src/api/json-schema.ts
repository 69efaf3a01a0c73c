/**
 * A few JSON Schema builders, in TypeBox's spelling, producing plain objects. The route schemas
 * were written with TypeBox; its import alone cost ~190 ms of start-up (bench/RESULTS.md), more
 * than fastify itself, for schemas that are plain JSON anyway.
 */
export type Schema = Record<string, unknown>;
const OPTIONAL = Symbol('optional');
type Opts = Record<string, unknown>;

export const Type = {
  String: (o: Opts = {}): Schema => ({ type: 'string', ...o }),
  Integer: (o: Opts = {}): Schema => ({ type: 'integer', ...o }),
  Number: (o: Opts = {}): Schema => ({ type: 'number', ...o }),
  Boolean: (o: Opts = {}): Schema => ({ type: 'boolean', ...o }),
  Null: (): Schema => ({ type: 'null' }),
  Unknown: (o: Opts = {}): Schema => ({ ...o }),
  Literal: (value: string | number | boolean): Schema => ({
    const: value,
    type: typeof value === 'number' ? 'number' : typeof value,
  }),
  Array: (items: Schema, o: Opts = {}): Schema => ({ type: 'array', items, ...o }),
  Union: (anyOf: Schema[], o: Opts = {}): Schema => ({ anyOf, ...o }),
  Record: (_key: Schema, value: Schema, o: Opts = {}): Schema => ({
    type: 'object',
    additionalProperties: value,
    ...o,
  }),
  /** Marks a property of `Type.Object` as not required. */
  Optional: (s: Schema): Schema => Object.assign({}, s, { [OPTIONAL]: true }),
  Object: (properties: Record<string, Schema>, o: Opts = {}): Schema => {
    const required = Object.keys(properties).filter((k) => !(properties[k] as Record<symbol, unknown>)[OPTIONAL]);
    return { type: 'object', properties, ...(required.length ? { required } : {}), ...o };
  },
  /** Every property optional. */
  Partial: (object: Schema, o: Opts = {}): Schema => {
    const { required: _r, ...rest } = object;
    return { ...rest, ...o };
  },
};
