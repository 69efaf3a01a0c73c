import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errors, PulseMockError } from '../../src/core/errors.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

describe('one error table (src/core/errors.ts)', () => {
  it('is the only place a PulseMockError is built, so each code has one wording', () => {
    const offenders = (readdirSync(SRC, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && f !== join('core', 'errors.ts'))
      .filter((f) => readFileSync(join(SRC, f), 'utf8').includes('new PulseMockError('));
    expect(offenders).toEqual([]);
  });

  it('gives each code one status, whichever entry builds it', () => {
    const samples: PulseMockError[] = [
      errors.messageNotFound('m'),
      errors.messageNotFound('m', 'ep'),
      errors.endpointNotFound('e'),
      errors.faultNotFound('f'),
      errors.repeatedField('file'),
      errors.invalidParameter('x', 'x'),
      errors.multipartTooMany('parts', {}),
      errors.fileTooLarge(1),
    ];
    const byCode = new Map<string, Set<number>>();
    for (const e of samples) byCode.set(e.code, (byCode.get(e.code) ?? new Set()).add(e.status));
    for (const [code, statuses] of byCode) expect([code, [...statuses]]).toEqual([code, [expect.any(Number)]]);
    expect(errors.messageNotFound('m', 'ep').message).toBe('No message with id "m" for endpoint ep.');
    expect(errors.inCode(errors.endpointNotFound('e')).message).toBe('[pulse-mock] No endpoint with id "e".');
  });
});
