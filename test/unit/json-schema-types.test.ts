import { describe, expect, expectTypeOf, it } from 'vitest';
import { route } from '../../src/api/contract.js';
import { Type, type Static } from '../../src/api/json-schema.js';

/**
 * The schema builders carry the type of what they describe (checked by `tsc` in `npm test`), and
 * produce the plain JSON Schema the validator and /openapi.json read.
 */
describe('Type: JSON Schema with its static type', () => {
  const Item = Type.Object({
    a: Type.String(),
    b: Type.Optional(Type.Integer()),
    c: Type.Union([Type.Literal('x'), Type.Boolean()]),
    d: Type.Array(Type.Object({ e: Type.Number() })),
    r: Type.Optional(Type.Record(Type.String(), Type.Null())),
  });

  it('types required and optional properties, unions, literals, arrays and records', () => {
    expectTypeOf<Static<typeof Item>>().toEqualTypeOf<{
      a: string;
      c: boolean | 'x';
      d: { e: number }[];
      b?: number;
      r?: Record<string, null>;
    }>();
    expectTypeOf<Static<ReturnType<typeof Type.Partial<typeof Item>>>>()
      .toHaveProperty('a')
      .toEqualTypeOf<string | undefined>();
    const open = Type.Object({ a: Type.String() }, { additionalProperties: true });
    expectTypeOf<Static<typeof open>>().toMatchTypeOf<{ a: string; [k: string]: unknown }>();
    expect(open.additionalProperties).toBe(true);
  });

  it('is plain JSON Schema at run time (the type is a phantom)', () => {
    expect(JSON.parse(JSON.stringify(Item))).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'integer' },
        c: { anyOf: [{ const: 'x', type: 'string' }, { type: 'boolean' }] },
        d: { type: 'array', items: { type: 'object', properties: { e: { type: 'number' } }, required: ['e'] } },
        r: { type: 'object', additionalProperties: { type: 'null' } },
      },
      required: ['a', 'c', 'd'],
    });
  });

  it("types a route handler's call.fields and call.params from the route's own schemas", () => {
    route({
      method: 'POST',
      path: '/things/:thingId',
      route: 'things',
      readsBody: true,
      schema: {
        summary: 'a route',
        tags: [],
        params: Type.Object({ thingId: Type.String() }),
        body: {
          content: {
            'application/json': { schema: Type.Object({ n: Type.Integer(), tag: Type.Optional(Type.String()) }) },
            'multipart/form-data': { schema: Type.Object({ n: Type.String() }) },
          },
        },
        response: {},
      },
      handle: (call, _op: unknown) => {
        expectTypeOf(call.fields).toEqualTypeOf<{ n: number; tag?: string } | { n: string }>();
        expectTypeOf(call.params).toEqualTypeOf<{ thingId: string }>();
        return { status: 200, body: {} };
      },
    });
  });
});
