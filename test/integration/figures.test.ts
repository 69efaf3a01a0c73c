import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

/** Issue 18: figures of the document model, served as real PNGs, checked by Debian's pngcheck. */
const KEY = 'sk_fig';
let server: RunningServer;
const clock = new ManualClock();
beforeAll(async () => {
  server = await startServer(
    resolveConfig({
      env: {},
      options: { seed: 21, apiKey: KEY, port: 0, host: '127.0.0.1', queueMs: 10, processingMs: 100 },
    }),
    { clock },
  );
});
afterAll(() => server.mock.close());

const extract = async (body: Record<string, unknown>) =>
  (await (
    await fetch(`${server.mock.url}/extract`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  ).json()) as Record<string, any>;
const get = (url: string) => fetch(url, { headers: { 'x-api-key': KEY } });

/** pngcheck's verdict on the bytes (it exits non-zero on a broken PNG). */
function pngcheck(bytes: Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pm-png-')), 'figure.png');
  writeFileSync(file, bytes);
  return execFileSync('pngcheck', [file], { encoding: 'utf8' });
}

describe('figures', () => {
  it('with figureProcessing.showImages, each Images entry has an image_url on the request host that downloads as a PNG pngcheck accepts; a sync call gets a job id for it', async () => {
    const r = await extract({
      file_url: 'https://e.com/annual-report.pdf',
      figureProcessing: { showImages: true, description: true },
    });
    const images = r.bounding_boxes.Images as {
      id: string;
      image_url: string;
      visual_type: string;
      description: string;
      content: string;
    }[];
    expect(images.length).toBeGreaterThan(0);
    for (const img of images) {
      expect(img.id).toMatch(/^img-\d+$/);
      expect(img.image_url.startsWith(`${server.mock.url}/results/`)).toBe(true);
      expect(img.description).toMatch(/bar chart|picture/);
      const res = await get(img.image_url);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(pngcheck(bytes)).toMatch(/^OK: .*\(480x320, /);
      // Repeatable, and the same bytes each time.
      expect(new Uint8Array(await (await get(img.image_url)).arrayBuffer())).toEqual(bytes);
    }
    const jobId = /\/results\/([^/]+)\/images\//.exec(images[0]!.image_url)?.[1];
    expect((await (await get(`${server.mock.url}/job/${jobId}`)).json()) as object).toMatchObject({
      status: 'completed',
    });
  });

  it('the deprecated top-level showImages works for async jobs too, with a warning; without it there is no image_url', async () => {
    const { job_id } = await extract({ file_url: 'https://e.com/pic.png', showImages: true, async: true });
    await clock.advance(200);
    const job = (await (await get(`${server.mock.url}/job/${job_id}`)).json()) as { result: Record<string, any> };
    expect(job.result.warnings).toContain('"showImages" is deprecated; use figureProcessing.showImages.');
    const url = job.result.bounding_boxes.Images[0].image_url as string;
    expect(url).toBe(`${server.mock.url}/results/${job_id}/images/page-1-image-1.png`);
    expect(pngcheck(new Uint8Array(await (await get(url)).arrayBuffer()))).toMatch(/^OK: /);
    const plain = await extract({ file_url: 'https://e.com/pic.png' });
    expect(plain.bounding_boxes.Images[0].image_url).toBeUndefined();
  });

  it('a file name with a path, or a figure the document does not have, is refused in Pulse shape', async () => {
    const r = await extract({ file_url: 'https://e.com/annual-report.pdf', figureProcessing: { showImages: true } });
    const base = (r.bounding_boxes.Images[0].image_url as string).replace(/[^/]+$/, '');
    expect((await get(`${base}..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
    const missing = await get(`${base}page-9-chart-1.png`);
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      'FILE_NOT_FOUND',
    ]);
    expect((await fetch(`${base}page-1-chart-1.png`)).status).toBe(401);
  });
});

describe('reproducibility', () => {
  it('bodies of independent extractions do not depend on the order of requests', async () => {
    const a = {
      file_url: 'https://e.com/statement-a.pdf',
      structured_output: { schema: { type: 'object', properties: { holder: { type: 'string' } } } },
    };
    const b = { file_url: 'https://e.com/invoice-b.pdf' };
    const first = await extract(a);
    await extract(b);
    const again = await extract(a);
    const strip = (x: Record<string, any>) => ({
      markdown: x.markdown,
      structured_output: x.structured_output,
      bounding_boxes: x.bounding_boxes,
    });
    expect(strip(again)).toEqual(strip(first));
  });
});
