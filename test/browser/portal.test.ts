import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'svix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { createPulseMock, type PulseMock } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receivers.js';

let browser: Browser;
let mock: PulseMock;
let receiver: Receiver;
let page: Page;
let healthy = true;

beforeAll(async () => {
  browser = await launchChromium();
  receiver = await startReceiver(() =>
    healthy ? { status: 200, body: 'thanks' } : { status: 500, body: 'receiver down' },
  );
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});
afterEach(async () => {
  await page?.close();
});

async function openPortal(): Promise<Page> {
  const { link } = (await (
    await fetch(`${mock.url}/webhook`, { method: 'POST', headers: { 'x-api-key': 'sk_portal' } })
  ).json()) as { link: string };
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
  // Its live updates come through the admin API's event stream (the session cookie opens it too).
  await page.locator('#live[data-live="true"]').waitFor();
  return page;
}

// Beyond loopback the page works through its session cookie alone (the admin API wants the
// admin token); the mock listens on every interface there, and the browser uses 127.0.0.1.
describe.each([
  { where: 'on loopback', host: '127.0.0.1' },
  { where: 'beyond loopback', host: '0.0.0.0' },
])('the webhook portal, in Chromium, $where', { timeout: 90_000 }, ({ host }) => {
  beforeAll(async () => {
    mock = await createPulseMock({ port: 0, host, apiKey: 'sk_portal', retrySchedule: [] });
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('adds an endpoint, sends a test event, rotates the secret, and resends a failed message', async () => {
    const p = await openPortal();

    // Add an endpoint through the form.
    await p.getByLabel('Endpoint URL').fill(receiver.url);
    await p.getByLabel('Description').fill('local consumer');
    await p.getByLabel('job.completed').check();
    await p.getByLabel('job.failed').check();
    await p.getByLabel(/Custom headers/).fill('x-tenant: acme');
    await p.getByRole('button', { name: 'Add endpoint' }).click();
    const card = p.getByRole('article', { name: `Endpoint ${receiver.url}` });
    await card.waitFor();
    await card.getByText('local consumer · job.completed, job.failed').waitFor();
    const [ep] = mock.endpoints.list();
    expect(ep).toMatchObject({
      url: receiver.url,
      eventTypes: ['job.completed', 'job.failed'],
      headers: { 'x-tenant': 'acme' },
    });

    // Send a test event to the real receiver and see the attempt in the log.
    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.getByText(/Test job.completed: succeeded \(HTTP 200 in \d+ ms\)/).waitFor();
    await p.locator('#log-body tr[data-status="succeeded"]').first().waitFor();
    expect(await p.locator('#log-body tr').first().textContent()).toMatch(/job.completed.*succeeded.*HTTP 200/s);
    const first = receiver.received.at(-1)!;
    expect(first.headers['x-tenant']).toBe('acme');

    // Rotate the secret; the page shows the new one, and deliveries verify with it.
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await card.getByText(/old secret still signing/).waitFor();
    const shown = (await card.locator('[data-role=secret]').textContent())!.trim();
    expect(shown).toMatch(/^whsec_/);
    expect(shown).toBe(mock.endpoints.list()[0]!.secret);
    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.getByText(/Test job.completed: succeeded/).waitFor();
    const after = receiver.received.at(-1)!;
    expect(new Webhook(shown).verify(after.body, after.headers as Record<string, string>)).toMatchObject({
      type: 'job.completed',
    });

    // A failed delivery, then the receiver recovers, then Resend from the log.
    healthy = false;
    await card.getByLabel(/Test event type/).selectOption('job.failed');
    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.getByText(/Test job.failed: failed \(HTTP 500/).waitFor();
    const failedRow = p.locator('#log-body tr[data-status="failed"]').first();
    await failedRow.waitFor();
    const id = await failedRow.getAttribute('data-message');
    await failedRow.getByRole('button', { name: /^View/ }).click();
    await p.getByRole('dialog').locator('[data-role=response-body]', { hasText: 'receiver down' }).waitFor();
    await p.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    healthy = true;
    await p
      .locator(`#log-body tr[data-message="${id}"]`)
      .getByRole('button', { name: /Resend job.failed/ })
      .click();
    await p.locator(`#log-body tr[data-message="${id}"][data-status="succeeded"]`).waitFor();
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === id)).toHaveLength(2);
  });

  it('edits, disables and deletes an endpoint, filters the log, and shows errors from the API', async () => {
    const p = await openPortal();
    const card = p.getByRole('article', { name: `Endpoint ${receiver.url}` });
    await card.getByRole('button', { name: 'Edit' }).click();
    await p.getByLabel('Description').fill('renamed');
    await p.getByRole('button', { name: 'Save endpoint' }).click();
    await card.getByText(/renamed/).waitFor();
    await card.getByRole('button', { name: 'Disable' }).click();
    await card
      .getByText(/disabled/)
      .first()
      .waitFor();
    expect(mock.endpoints.list()[0]!.disabled).toBe(true);

    await p.getByLabel('Status').selectOption('failed');
    await p.waitForFunction(() =>
      [...document.querySelectorAll('#log-body tr')].every((r) => r.getAttribute('data-status') === 'failed'),
    );

    await p.getByLabel('Endpoint URL').fill('ftp://nope');
    await p.getByRole('button', { name: 'Add endpoint' }).click();
    await p
      .getByRole('alert')
      .filter({ hasText: /url must be http/i })
      .waitFor();

    p.once('dialog', (d) => void d.accept());
    await card.getByRole('button', { name: 'Delete' }).click();
    await p.getByText('No endpoints yet').waitFor();
    expect(mock.endpoints.list()).toHaveLength(0);
  });

  it('works at a narrow width, with a label on every control', async () => {
    const p = await openPortal();
    await p.setViewportSize({ width: 390, height: 844 });
    const unlabeled = await p.evaluate(
      () =>
        [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')].filter((el) => {
          const e = el as HTMLInputElement;
          return !(
            e.labels?.length ||
            e.getAttribute('aria-label') ||
            (el.tagName === 'BUTTON' && el.textContent?.trim())
          );
        }).length,
    );
    expect(unlabeled).toBe(0);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('refuses a wrong token', async () => {
    const res = await fetch(`${mock.url}/portal?token=nope`);
    expect(res.status).toBe(401);
  });
});
