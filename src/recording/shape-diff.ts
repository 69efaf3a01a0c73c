import { canonicalKey } from './format.js';

/**
 * The shape of a JSON value: what a client's code depends on (fields and their types), not the
 * values, which differ between any two runs. An array's shape is its items' shapes merged, so
 * two arrays of different lengths compare by what their items look like.
 */
export type Shape =
  | { type: 'string' | 'number' | 'boolean' | 'null' }
  | { type: 'array'; items?: Shape }
  | { type: 'object'; fields: Record<string, Shape> }
  | { type: 'mixed'; of: string[] };

export function shapeOf(v: unknown): Shape {
  if (v === null || v === undefined) return { type: 'null' };
  if (Array.isArray(v)) {
    const items = v.map(shapeOf).reduce<Shape | undefined>((a, b) => (a ? merge(a, b) : b), undefined);
    return items ? { type: 'array', items } : { type: 'array' };
  }
  if (typeof v === 'object')
    return { type: 'object', fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)])) };
  return { type: typeof v as 'string' | 'number' | 'boolean' };
}

/** Two item shapes as one: objects by the union of their fields; different types as `mixed`. */
function merge(a: Shape, b: Shape): Shape {
  if (a.type === 'object' && b.type === 'object') {
    const fields: Record<string, Shape> = { ...a.fields };
    for (const [k, s] of Object.entries(b.fields)) fields[k] = fields[k] ? merge(fields[k], s) : s;
    return { type: 'object', fields };
  }
  if (a.type === 'array' && b.type === 'array')
    return a.items && b.items ? { type: 'array', items: merge(a.items, b.items) } : a.items ? a : b;
  if (a.type === b.type) return a;
  // A nullable field is still its type.
  if (a.type === 'null') return b;
  if (b.type === 'null') return a;
  const of = new Set([...(a.type === 'mixed' ? a.of : [a.type]), ...(b.type === 'mixed' ? b.of : [b.type])]);
  return { type: 'mixed', of: [...of].sort() };
}

const typeName = (s: Shape) => (s.type === 'mixed' ? s.of.join('|') : s.type);

export interface ShapeDifference {
  /** Where, as a JSON path (`$.result.bounding_boxes.Text[].id`). */
  path: string;
  kind: 'missing' | 'extra' | 'renamed' | 'type';
  /** What the upstream has there, and what the mock has. */
  upstream: string;
  mock: string;
}

/**
 * Where `mock` differs from `upstream` in shape: a field the mock lacks (`missing`) or adds
 * (`extra`), one spelled differently (`renamed`: `extractionId` for `extraction_id`, with the
 * same shape), or another type. A `null` matches any type (a field that is null this time).
 */
export function diffShapes(upstream: Shape, mock: Shape, path = '$'): ShapeDifference[] {
  if (upstream.type === 'null' || mock.type === 'null') return [];
  if (upstream.type === 'object' && mock.type === 'object') {
    const out: ShapeDifference[] = [];
    const missing = Object.keys(upstream.fields).filter((k) => !(k in mock.fields));
    const extra = Object.keys(mock.fields).filter((k) => !(k in upstream.fields));
    const renamed = new Set<string>();
    for (const m of missing) {
      const e = extra.find((x) => canonicalKey(x) === canonicalKey(m) && !renamed.has(x));
      if (e === undefined) continue;
      renamed.add(e).add(m);
      out.push({ path: `${path}.${m}`, kind: 'renamed', upstream: m, mock: e });
    }
    for (const m of missing.filter((k) => !renamed.has(k)))
      out.push({ path: `${path}.${m}`, kind: 'missing', upstream: typeName(upstream.fields[m]!), mock: 'absent' });
    for (const e of extra.filter((k) => !renamed.has(k)))
      out.push({ path: `${path}.${e}`, kind: 'extra', upstream: 'absent', mock: typeName(mock.fields[e]!) });
    for (const k of Object.keys(upstream.fields))
      if (k in mock.fields) out.push(...diffShapes(upstream.fields[k]!, mock.fields[k]!, `${path}.${k}`));
    return out;
  }
  if (upstream.type === 'array' && mock.type === 'array')
    return upstream.items && mock.items ? diffShapes(upstream.items, mock.items, `${path}[]`) : [];
  if (upstream.type !== mock.type || (upstream.type === 'mixed' && typeName(upstream) !== typeName(mock)))
    return [{ path, kind: 'type', upstream: typeName(upstream), mock: typeName(mock) }];
  return [];
}
