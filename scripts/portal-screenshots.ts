/**
 * Regenerates the portal screenshots in docs/ (used by the README):
 *   npx tsx scripts/portal-screenshots.ts
 * Starts a mock and a local consumer, creates some traffic (including a failure and a fault),
 * and photographs the portal at 1280x800 and at phone width, and a failed message's view after
 * a resend, with Debian's Chromium.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPulseMock } from '../src/index.js';
import { launchChromium } from './chromium.js';

const out = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

// The flaky endpoint is down until the resend below.
let flakyDown = true;
const consumer = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url?.includes('flaky') && flakyDown)
      return res
        .writeHead(503, { 'content-type': 'text/html', 'retry-after': '120' })
        .end('<html><body><h1>503 Service Unavailable</h1><p>billing is in maintenance</p></body></html>');
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_7f3a' }).end('{"received":true}');
  });
});
await new Promise<void>((r) => consumer.listen(0, '127.0.0.1', r));
const port = (consumer.address() as AddressInfo).port;

const mock = await createPulseMock({ port: 0, seed: 2026, processingMs: 50, queueMs: 10, retrySchedule: [] });
const admin = (path: string, body: unknown) =>
  fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json());
await admin('/_mock/endpoints', {
  url: `http://127.0.0.1:${port}/webhooks/pulse`,
  description: 'orders service',
  headers: { 'x-tenant': 'acme' },
});
await admin('/_mock/endpoints', {
  url: `http://127.0.0.1:${port}/flaky/webhook`,
  description: 'billing (staging)',
  eventTypes: ['job.completed', 'job.failed'],
});
await admin('/_mock/faults', {
  fault: { kind: 'signature', variant: 'stale-timestamp' },
  scope: { eventTypes: ['job.processing'] },
  when: { nth: [1] },
});
for (const [file, outcome] of [
  ['invoice.pdf', 'completed'],
  ['scan-corrupt.pdf', 'failed'],
  ['dummy_statement.pdf', 'completed'],
  ['contract.pdf', 'completed'],
  ['receipt.png', 'completed'],
  ['policy.docx', 'completed'],
] as const) {
  await fetch(`${mock.url}/extract`, {
    method: 'POST',
    headers: { 'x-api-key': 'demo', 'content-type': 'application/json', 'x-pulse-mock-outcome': outcome },
    body: JSON.stringify({ file_url: `https://example.com/${file}`, async: true }),
  });
}
await new Promise((r) => setTimeout(r, 500));
const { link } = (await (
  await fetch(`${mock.url}/webhook`, { method: 'POST', headers: { 'x-api-key': 'demo' } })
).json()) as { link: string };

const browser = await launchChromium();
try {
  for (const [name, viewport] of [
    ['portal-desktop.png', { width: 1280, height: 800 }],
    ['portal-mobile.png', { width: 390, height: 844 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await page.goto(link);
    await page.locator('#log-body tr').first().waitFor();
    await page.locator('#live[data-live="true"]').waitFor();
    await page.screenshot({ path: out(name) });
    console.log(`wrote docs/${name}`);
    await page.close();
  }
  // A failed message to the flaky endpoint, resent once it is back: two attempts to read.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(link);
  await page.getByLabel('Status').selectOption('failed');
  await page.locator('#log-body tr[data-status="failed"]').first().waitFor();
  await page.locator('#log-body button[data-act="view"]').first().click();
  flakyDown = false;
  await page.getByRole('dialog').getByRole('button', { name: 'Resend' }).click();
  await page.getByRole('dialog').getByRole('region', { name: 'Attempt 2' }).waitFor();
  await page.screenshot({ path: out('portal-message.png') });
  console.log('wrote docs/portal-message.png');
  await page.close();
} finally {
  await browser.close();
  await mock.close();
  consumer.close();
}
