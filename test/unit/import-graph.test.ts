import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The source's import graph of values (`import type` and `export type` left out; dynamic
 * `import()` counted, so a cycle cannot hide behind one) has no cycle: a module can be read,
 * loaded and tested from its leaves up. The route contract (`api/contract.ts`) is a leaf.
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));

function valueImports(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs: string[] = [];
  const statement = /^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'([^']+)'/gms;
  for (const m of text.matchAll(statement)) {
    // `import { type A, type B } from` imports no value either.
    const names = /^\{([^}]*)\}$/.exec(m[1]!.trim())?.[1];
    if (names !== undefined && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '))) continue;
    specs.push(m[2]!);
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) specs.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specs.push(m[1]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(SRC, resolve(SRC, dirname(file), s)).replace(/\.js$/, '.ts'))
    .filter((f) => files.includes(f));
}

const graph = new Map(files.map((f) => [f, valueImports(f)]));

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const meta = new Map<string, { index: number; low: number; on: boolean }>();
  const out: string[][] = [];
  const visit = (v: string) => {
    meta.set(v, { index, low: index, on: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!meta.has(w)) {
        visit(w);
        meta.get(v)!.low = Math.min(meta.get(v)!.low, meta.get(w)!.low);
      } else if (meta.get(w)!.on) meta.get(v)!.low = Math.min(meta.get(v)!.low, meta.get(w)!.index);
    }
    if (meta.get(v)!.low === meta.get(v)!.index) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        meta.get(w)!.on = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const f of files) if (!meta.has(f)) visit(f);
  return out;
}

describe('the import graph of src/', () => {
  it('reads the imports it should (a sanity check of the parser)', () => {
    expect(graph.get(join('operations', 'batch.ts'))).toContain(join('operations', 'operation.ts'));
    expect(graph.get(join('operations', 'batch.ts'))).not.toContain(join('core', 'job-store.ts')); // import type
  });

  it('has no cycle of values', () => {
    expect(cycles()).toEqual([]);
  });

  it('reads the config without loading an operation (each checks what it declares when a runtime is made)', () => {
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const g of graph.get(f) ?? []) walk(g);
    };
    walk('config.ts');
    expect([...reached].filter((f) => f.startsWith(`operations`) || f === join('api', 'routes.ts'))).toEqual([]);
  });

  it('keeps the route contract a leaf: it imports no value at all', () => {
    expect(graph.get(join('api', 'contract.ts'))).toEqual([]);
  });
});
