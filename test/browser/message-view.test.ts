import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { createPulseMock, type PulseMock } from '../../src/index.js';
import { startReceiver, type Answer, type Receiver } from '../receivers.js';

/**
 * The portal's message log and message view in Chromium: what was sent (payload, signature
 * headers), what came back on each attempt (status, headers, body), pages, search, resend and
 * recover, by keyboard alone, and with hostile text in every place a consumer or a user controls.
 */
let browser: Browser;
let mock: PulseMock;
let receiver: Receiver;
let page: Page | undefined;
/** The receiver's answers, in order; past the end it answers 200 "ok" (500 "down" while `down`). */
let answers: Answer[] = [];
let down = false;

beforeAll(async () => {
  browser = await launchChromium();
  receiver = await startReceiver((_r, i) =>
    down ? { status: 500, body: 'down' } : (answers[i] ?? { status: 200, body: 'ok' }),
  );
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});
beforeEach(async () => {
  answers = [];
  down = false;
  receiver.received.length = 0;
  mock = await createPulseMock({ port: 0, apiKey: 'sk_view', retrySchedule: [] });
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  await mock?.close();
});

async function openPortal(): Promise<Page> {
  const { link } = (await (
    await fetch(`${mock.url}/webhook`, { method: 'POST', headers: { 'x-api-key': 'sk_view' } })
  ).json()) as { link: string };
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
  return page;
}

/** Sends a test event through the admin API (loopback: no token) and waits until it is delivered or failed. */
async function sendTest(endpointId: string, eventType = 'job.completed'): Promise<string> {
  const res = await fetch(`${mock.url}/_mock/endpoints/${endpointId}/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ eventType }),
  });
  const { id } = (await res.json()) as { id: string };
  await vi.waitFor(() => expect(mock.messages({ messageId: id })[0]?.status).toMatch(/succeeded|failed/), {
    timeout: 10_000,
  });
  return id;
}

/** Presses Tab until `isTarget` holds for the focused element (at most 300 presses). */
async function tabTo(p: Page, what: string, isTarget: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    await p.keyboard.press('Tab');
    if (await p.evaluate(isTarget)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

describe('the portal message view, in Chromium', { timeout: 90_000 }, () => {
  it("shows a message's payload, the headers it was sent with and each attempt's response headers and body", async () => {
    const ep = mock.endpoints.add({
      url: receiver.url,
      headers: { 'x-tenant': 'acme' },
      basicAuth: { username: 'hook', password: 'pa55-word' },
    });
    answers = [
      { status: 503, headers: { 'retry-after': '120', 'x-served-by': 'edge-1' }, body: 'maintenance until 14:00' },
      { status: 200, headers: { 'x-consumer-version': '2.4.1' }, body: '{"received":true}' },
    ];
    const id = await sendTest(ep.id);
    const p = await openPortal();

    await p.getByRole('button', { name: `View job.completed ${id}` }).click();
    const dialog = p.getByRole('dialog', { name: `job.completed · ${id}` });
    await dialog.waitFor();
    const sent = receiver.received[0]!;
    // The payload as pretty JSON: the body the consumer got.
    const payload = (await dialog.locator('#m-payload').textContent())!;
    expect(payload).toContain('\n  "type": "job.completed"');
    expect(JSON.parse(payload)).toEqual(JSON.parse(sent.body));
    // The headers as sent: the endpoint's own (credentials redacted) and each attempt's signature.
    const common = (await dialog.locator('#m-headers').textContent())!;
    expect(common).toContain('x-tenant: acme');
    expect(common).toContain('content-type: application/json');
    expect(common).toContain('authorization: Basic REDACTED');
    expect(common).not.toContain(Buffer.from('hook:pa55-word').toString('base64'));
    const first = dialog.getByRole('region', { name: 'Attempt 1' });
    const signature = (await first.locator('[data-role=sent]').textContent())!;
    for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
      expect(signature).toContain(`${h}: ${sent.headers[h] as string}`);
    expect(await first.locator('h5').textContent()).toMatch(
      /^Attempt 1 · scheduled · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} · HTTP 503 · \d+ ms$/,
    );
    expect(await first.locator('[data-role=response-headers]').textContent()).toMatch(
      /retry-after: 120\n[^]*x-served-by: edge-1/,
    );
    expect(await first.locator('[data-role=response-body]').textContent()).toBe('maintenance until 14:00');

    // Resend from the view: a second attempt appears, with its own signature and response.
    await dialog.getByRole('button', { name: 'Resend' }).click();
    const second = dialog.getByRole('region', { name: 'Attempt 2' });
    await second.waitFor();
    await second.locator('[data-role=response-body]', { hasText: '{"received":true}' }).waitFor();
    const resent = receiver.received[1]!;
    expect(resent.headers['webhook-id']).toBe(id);
    expect(await second.locator('[data-role=sent]').textContent()).toContain(
      `webhook-signature: ${resent.headers['webhook-signature'] as string}`,
    );
    expect(await second.locator('[data-role=response-headers]').textContent()).toContain('x-consumer-version: 2.4.1');
    expect(await second.locator('h5').textContent()).toMatch(/^Attempt 2 · resend · .* · HTTP 200 · /);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('pages through the log, opens a message and resends it with Tab and Enter only', async () => {
    const ep = mock.endpoints.add({ url: receiver.url });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await sendTest(ep.id));
    const p = await openPortal();
    await p.locator('#page-info').getByText('1–20 of 25 (page 1 of 2)').waitFor();
    expect(await p.locator('#log-body tr').count()).toBe(20);

    // Newest first: the second page holds the five oldest.
    await tabTo(p, 'the Older button', "document.activeElement.id === 'page-next'");
    await p.keyboard.press('Enter');
    await p.locator('#page-info').getByText('21–25 of 25 (page 2 of 2)').waitFor();
    expect(
      await p.locator('#log-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message'))),
    ).toEqual(ids.slice(0, 5).reverse());

    await tabTo(p, "a message's View button", "document.activeElement.dataset.act === 'view'");
    const opened = await p.evaluate(() => (document.activeElement as HTMLElement).dataset.message!);
    await p.keyboard.press('Enter');
    const dialog = p.getByRole('dialog', { name: `job.completed · ${opened}` });
    await dialog.waitFor();

    await tabTo(p, 'the Resend button', "document.activeElement.id === 'm-resend'");
    await p.keyboard.press('Enter');
    await receiver.waitUntil(
      (r) => r.filter((x) => x.headers['webhook-id'] === opened).length === 2,
      `the resend of ${opened}`,
    );
    await dialog.getByRole('region', { name: 'Attempt 2' }).waitFor();

    await tabTo(p, 'the Close button', "document.activeElement.id === 'm-close'");
    await p.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    // The keyboard is back where it was: on the message's View button, on page 2.
    await p.waitForFunction((id) => (document.activeElement as HTMLElement | null)?.dataset.message === id, opened);
    await p
      .locator('#page-info')
      .getByText(/^21–25 of 25/)
      .waitFor();
  });

  it('finds a job by its id, and recovers failed messages from an endpoint card', async () => {
    const ep = mock.endpoints.add({ url: receiver.url });
    const p = await openPortal();
    const submit = async () => {
      const res = await fetch(`${mock.url}/extract`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk_view', 'content-type': 'application/json' },
        body: JSON.stringify({ file_url: 'https://example.com/invoice.pdf', async: true }),
      });
      return ((await res.json()) as { job_id: string }).job_id;
    };
    const [a, b] = [await submit(), await submit()];
    await vi.waitFor(() => expect(mock.messages({ jobId: b, eventType: 'job.completed' })).toHaveLength(1), {
      timeout: 10_000,
    });
    // The log updates live: both jobs' messages arrive without a reload.
    await p.locator(`#log-body tr`).nth(5).waitFor();

    await p.getByLabel('Search by job id').fill(a.slice(-10));
    await p.locator('#page-info').getByText('1–3 of 3 (page 1 of 1)').waitFor();
    expect(await p.locator('#log-body').textContent()).not.toContain(b);
    await p.getByLabel('Search by job id').fill('no-such-job');
    await p.getByText('No message matches these filters.').waitFor();
    await p.getByLabel('Search by job id').fill('');

    // Two failures while the consumer is down, then it is back: Recover sends them again.
    down = true;
    await sendTest(ep.id, 'job.failed');
    await sendTest(ep.id, 'job.cancelled');
    down = false;
    await p.getByLabel('Status').selectOption('failed');
    await p.locator('#page-info').getByText('1–2 of 2').waitFor();
    const card = p.getByRole('article', { name: `Endpoint ${receiver.url}` });
    await card.getByLabel(/Recover the failed messages/).selectOption({ label: 'from the last 10 minutes' });
    await card.getByRole('button', { name: 'Recover failed messages' }).click();
    await card.getByText('Recovering 2 failed messages.').waitFor();
    await p.getByText('No message matches these filters.').waitFor();
    expect(mock.messages({ status: 'failed' })).toHaveLength(0);
  });

  it('shows hostile text from a consumer and from the endpoint as text, and runs no script but its own', async () => {
    const xss = (where: string) =>
      `<img src=x onerror="window.__owned='${where}'"><script>window.__owned='${where}'</script>`;
    const ep = mock.endpoints.add({
      url: receiver.url,
      description: xss('description'),
      headers: { 'x-tenant': xss('header').replace(/[\r\n]/g, '') },
    });
    answers = [{ status: 400, headers: { 'x-evil': '<svg onload="window.__owned=1">' }, body: xss('body') }];
    const id = await sendTest(ep.id);
    const p = await openPortal();
    await p.getByRole('button', { name: `View job.completed ${id}` }).click();
    const dialog = p.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.locator('[data-role=response-body]').textContent()).toBe(xss('body'));
    expect(await dialog.locator('[data-role=response-headers]').textContent()).toContain(
      'x-evil: <svg onload="window.__owned=1">',
    );
    expect(await dialog.locator('#m-headers').textContent()).toContain(`x-tenant: ${xss('header')}`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await p.getByText(xss('description')).first().waitFor();
    await p.getByLabel('Search by job id').fill('<img src=x onerror=window.__owned=2>');
    await p.getByText('No message matches these filters.').waitFor();
    expect(await p.locator('img, svg, script:not([nonce])').count()).toBe(0);
    expect(await p.evaluate(() => (window as { __owned?: unknown }).__owned)).toBeUndefined();

    // The second guard: were escaping ever to fail, the page's policy runs no injected script.
    // (The listener added here runs after the attribute's handler would have.)
    await p.evaluate(
      () =>
        new Promise<void>((resolve) => {
          document.body.insertAdjacentHTML(
            'beforeend',
            `<img id="probe" alt="" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" onload="window.__owned='csp'">`,
          );
          document.getElementById('probe')!.addEventListener('load', () => resolve());
        }),
    );
    expect(await p.evaluate(() => (window as { __owned?: unknown }).__owned)).toBeUndefined();
  });
});
