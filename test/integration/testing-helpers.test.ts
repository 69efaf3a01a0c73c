import { test as base, describe, expect } from 'vitest';
import { signWebhook, startPulseMock, webhookRequest } from '../../src/testing/index.js';
import { withPulseMock } from '../../src/vitest/index.js';
import { startReceiver } from '../receivers.js';
import { Webhook } from 'standardwebhooks';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const test = withPulseMock(base, { processingMs: 20, queueMs: 5, apiKey: 'sk_fixture' });

describe('pulse-mock/testing', () => {
  test('the vitest fixture gives each test a running mock', async ({ pulseMock }) => {
    const res = await fetch(`${pulseMock.url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': pulseMock.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true }),
    });
    expect(res.status).toBe(200);
    expect(pulseMock.apiKey).toBe('sk_fixture');
    expect(pulseMock.jobs()).toHaveLength(1);
  });

  test('and a fresh one for the next test', async ({ pulseMock }) => {
    expect(pulseMock.jobs()).toHaveLength(0);
  });

  base('startPulseMock delivers to a consumer and waitForDelivery resolves when it finished', async () => {
    const receiver = await startReceiver();
    const pulse = await startPulseMock({
      webhookUrl: [receiver.url],
      webhookSecret: SECRET,
      processingMs: 20,
      queueMs: 5,
    });
    try {
      await fetch(`${pulse.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': pulse.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://e.com/a.pdf', async: true }),
      });
      const d = await pulse.waitForDelivery({ eventType: 'job.completed' });
      expect(d.status).toBe('succeeded');
      expect(pulse.messages()).toHaveLength(3);
      expect(pulse.webhookSecret).toBe(SECRET);
    } finally {
      await pulse.close();
      await receiver.close();
    }
  });

  base('signWebhook signs like the server: standardwebhooks verifies it, and faults break it', async () => {
    const event = { type: 'job.failed', data: { job_id: 'j', status: 'failed', error: 'x' } };
    const ok = signWebhook(event, SECRET);
    expect(ok.id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    expect(new Webhook(SECRET).verify(ok.body, ok.headers)).toMatchObject(event);
    const svix = signWebhook(event, SECRET, { headerPrefix: 'svix' });
    expect(Object.keys(svix.headers)).toContain('svix-signature');
    const stale = signWebhook(event, SECRET, { fault: 'stale-timestamp' });
    expect(() => new Webhook(SECRET).verify(stale.body, stale.headers)).toThrow('Message timestamp too old');
    const req = webhookRequest(event, SECRET, { url: 'http://localhost/x' });
    expect(req.method).toBe('POST');
    expect(new Webhook(SECRET).verify(await req.text(), Object.fromEntries(req.headers))).toMatchObject(event);
  });
});
