import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * What the compiler checks is what runs: a value taken as a type the compiler cannot see goes
 * through `unchecked()` (src/unchecked.ts), where each caller says why it holds; nowhere else is a
 * type forced with `as unknown as` or `as never`. (Plain `as` stays for narrowing what JSON or a
 * request gave, which the request pipeline has validated.)
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

describe('the source', () => {
  it('forces no type outside src/unchecked.ts', () => {
    const offenders = (readdirSync(SRC, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && f !== 'unchecked.ts' && !f.endsWith('.generated.ts'))
      .flatMap((f) =>
        readFileSync(join(SRC, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (/\bas unknown as\b|\bas never\b/.test(line) ? [`${f}:${i + 1}`] : [])),
      );
    expect(offenders).toEqual([]);
  });
});
