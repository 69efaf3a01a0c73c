import pngjs from 'pngjs';
import type { Figure } from './document-model.js';
import { SeededRandom } from './random.js';

/**
 * A figure of the document model as a real PNG, written by pngjs (loaded with this module, on
 * the first image request only): a chart's bars at their values, or a picture drawn from the
 * seed. Same figure and seed, same bytes.
 */
const W = 480;
const H = 320;
const PALETTE: [number, number, number][] = [
  [66, 133, 244],
  [219, 68, 55],
  [244, 180, 0],
  [15, 157, 88],
  [171, 71, 188],
];

export function renderFigurePng(figure: Figure, seed: number): Uint8Array {
  const png = new pngjs.PNG({ width: W, height: H });
  const fill = (x0: number, y0: number, x1: number, y1: number, [r, g, b]: [number, number, number]) => {
    for (let y = Math.max(0, y0); y < Math.min(H, y1); y++)
      for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
        const i = (y * W + x) * 4;
        png.data[i] = r;
        png.data[i + 1] = g;
        png.data[i + 2] = b;
        png.data[i + 3] = 255;
      }
  };
  fill(0, 0, W, H, [255, 255, 255]);
  if (figure.visual === 'chart' && figure.bars.length > 0) {
    const max = Math.max(...figure.bars.map((b) => b.value), 1);
    const left = 40;
    const bottom = H - 30;
    const slot = Math.floor((W - left - 20) / figure.bars.length);
    fill(left, 20, left + 2, bottom, [90, 90, 90]); // y axis
    fill(left, bottom, W - 20, bottom + 2, [90, 90, 90]); // x axis
    figure.bars.forEach((bar, i) => {
      const h = Math.round(((bottom - 30) * bar.value) / max);
      const x = left + 10 + i * slot;
      fill(x, bottom - h, x + slot - 20, bottom, PALETTE[i % PALETTE.length] as [number, number, number]);
    });
  } else {
    const random = new SeededRandom(seed);
    for (let y = 0; y < H; y++)
      fill(0, y, W, y + 1, [120 + Math.round((y / H) * 100), 170, 220 - Math.round((y / H) * 80)]);
    for (let k = 0; k < 6; k++) {
      const cx = random.int(0, W);
      const cy = random.int(0, H);
      const r = random.int(15, 60);
      const color = PALETTE[k % PALETTE.length] as [number, number, number];
      for (let y = cy - r; y < cy + r; y++)
        for (let x = cx - r; x < cx + r; x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) fill(x, y, x + 1, y + 1, color);
    }
  }
  return pngjs.PNG.sync.write(png);
}
