import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { checkSecret, generateSecret, sign } from '../../src/delivery/signing.js';

describe('signing', () => {
  it('reproduces the Standard Webhooks reference vector', () => {
    const sig = sign(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
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
