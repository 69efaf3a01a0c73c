import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSecret, generateSecret, sign } from '../../src/delivery/signing.js';

describe('signing', () => {
  it('reproduces the Standard Webhooks reference vector', () => {
    const sig = sign(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret during a rotation, and each verifies alone', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const header = sign([a, b], 'msg_1', ts, '{"x":1}');
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [a, b]) {
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': header };
      expect(new StandardWebhook(secret).verify('{"x":1}', headers)).toEqual({ x: 1 });
      expect(new SvixWebhook(secret).verify('{"x":1}', headers)).toEqual({ x: 1 });
    }
  });

  it('generates whsec_ secrets of 24 random bytes and checks given ones', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(s).not.toBe(generateSecret());
    expect(checkSecret(s)).toBeUndefined();
    expect(checkSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toMatch(/starts with "whsec_"/);
    expect(checkSecret('whsec_not base64!')).toMatch(/base64/);
    expect(checkSecret('whsec_AAAA')).toMatch(/24 to 64 bytes/);
  });
});

describe('signing matches svix byte for byte', () => {
  it('for arbitrary ids, timestamps, bodies and secrets', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ maxLength: 400 }),
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        (id, ts, body, key) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          expect(sign([secret], id, ts, body)).toBe(new SvixWebhook(secret).sign(id, new Date(ts * 1000), body));
        },
      ),
      { numRuns: 300 },
    );
  });
});
