/**
 * A few JSON Schema builders, in TypeBox's spelling, producing plain objects, each typed with
 * the value it describes (`Static<typeof S>`), so a route's handler gets `call.fields` typed from
 * the very schema that validates them. The type rides on a phantom property that exists only for
 * the compiler: no run-time cost. (The route schemas were written with TypeBox; its import was a
 * large part of start-up, bench/RESULTS.md, for schemas that are plain JSON anyway.)
 */

declare const STATIC: unique symbol;
const OPTIONAL: unique symbol = Symbol('optional');

/** A JSON Schema describing values of type `T` (a plain object at run time). */
export type Schema<T = unknown> = Record<string, unknown> & { readonly [STATIC]?: T };
/** A property schema marked by `Type.Optional`. */
type OptionalSchema<T> = Schema<T> & { readonly [OPTIONAL]: true };

/** The type of the values a schema describes. */
export type Static<S> = S extends { readonly [STATIC]?: infer T } ? T : unknown;

type Props = Record<string, Schema>;
type Flat<T> = { [K in keyof T]: T[K] } & {};
/** The type of an object whose properties are `P`'s schemas (`Type.Optional` ones optional). */
export type ObjectOf<P extends Props> = Flat<
  { -readonly [K in keyof P as P[K] extends { readonly [OPTIONAL]: true } ? never : K]: Static<P[K]> } & {
    -readonly [K in keyof P as P[K] extends { readonly [OPTIONAL]: true } ? K : never]?: Static<P[K]>;
  }
>;
type Opts = Record<string, unknown>;
/** `additionalProperties: true` lets other keys through: typed as unknown values. */
type Open<O> = O extends { additionalProperties: true } ? Record<string, unknown> : unknown;

export const Type = {
  String: (o: Opts = {}): Schema<string> => ({ type: 'string', ...o }),
  Integer: (o: Opts = {}): Schema<number> => ({ type: 'integer', ...o }),
  Number: (o: Opts = {}): Schema<number> => ({ type: 'number', ...o }),
  Boolean: (o: Opts = {}): Schema<boolean> => ({ type: 'boolean', ...o }),
  Null: (): Schema<null> => ({ type: 'null' }),
  Unknown: (o: Opts = {}): Schema<unknown> => ({ ...o }),
  Literal: <V extends string | number | boolean>(value: V): Schema<V> => ({
    const: value,
    type: typeof value === 'number' ? 'number' : typeof value,
  }),
  Array: <S extends Schema>(items: S, o: Opts = {}): Schema<Static<S>[]> => ({ type: 'array', items, ...o }),
  Union: <S extends Schema[]>(anyOf: [...S], o: Opts = {}): Schema<Static<S[number]>> => ({ anyOf, ...o }),
  Record: <S extends Schema>(_key: Schema<string>, value: S, o: Opts = {}): Schema<Record<string, Static<S>>> => ({
    type: 'object',
    additionalProperties: value,
    ...o,
  }),
  /** Marks a property of `Type.Object` as not required. */
  Optional: <S extends Schema>(s: S): OptionalSchema<Static<S>> =>
    Object.assign({}, s, { [OPTIONAL]: true as const }) as OptionalSchema<Static<S>>,
  Object: <P extends Props, const O extends Opts = Opts>(properties: P, o?: O): Schema<ObjectOf<P> & Open<O>> => {
    const required = Object.keys(properties).filter((k) => !(properties[k] as Record<symbol, unknown>)[OPTIONAL]);
    return { type: 'object', properties, ...(required.length ? { required } : {}), ...o };
  },
  /** Every property optional. */
  Partial: <S extends Schema>(object: S, o: Opts = {}): Schema<Partial<Static<S>>> => {
    const { required: _r, ...rest }: Record<string, unknown> = object;
    return { ...rest, ...o };
  },
};
