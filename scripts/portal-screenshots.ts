/**
 * Regenerates the portal screenshots in docs/ (used by the README):
 *   npx tsx scripts/portal-screenshots.ts
 * Starts a mock and a local consumer, creates some traffic (including a failure and a fault),
 * and photographs the portal at 1280x800 and at phone width with Debian's Chromium.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPulseMock } from '../src/index.js';
import { launchChromium } from './chromium.js';

const out = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

const consumer = createServer((req, res) => {
  req.resume();
  req.on('end', () =>
    res.writeHead(req.url?.includes('flaky') ? 503 : 200).end(req.url?.includes('flaky') ? 'maintenance' : 'ok'),
  );
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
    await page.screenshot({ path: out(name), fullPage: name.includes('desktop') ? false : false });
    console.log(`wrote docs/${name}`);
    await page.close();
  }
} finally {
  await browser.close();
  await mock.close();
  consumer.close();
}
