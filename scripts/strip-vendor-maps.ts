/**
 * After `tsup`: the package ships source maps of its own code only. A chunk made of third-party
 * code alone loses its map (and the comment pointing at it); a chunk mixing both keeps a map of
 * its own lines, with no mapping into, and no content of, third-party files. (A map of bundled
 * pdfkit alone was 3.4 MB.)
 */
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface SourceMap {
  sources: string[];
  sourcesContent?: (string | null)[];
  mappings: string;
  names?: string[];
}

const dist = new URL('../dist/', import.meta.url).pathname;
const vendor = (source: string) => source.includes('node_modules/');
let dropped = 0;
let trimmed = 0;
for (const name of readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.map'))) {
  const mapFile = join(dist, name);
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMap;
  if (map.sources.every(vendor)) {
    rmSync(mapFile);
    const code = join(dist, name.slice(0, -'.map'.length));
    writeFileSync(code, readFileSync(code, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    dropped++;
  } else if (map.sources.some(vendor)) {
    // Keep our own sources, renumbered; segments into third-party files go.
    const kept = map.sources.flatMap((s, i) => (vendor(s) ? [] : [i]));
    const index = new Map(kept.map((old, i) => [old, i]));
    const lines = decode(map.mappings).map((line) =>
      line.flatMap((seg): SourceMapSegment[] => {
        if (seg.length === 1) return [seg];
        const to = index.get(seg[1]);
        if (to === undefined) return [];
        return [seg.length === 5 ? [seg[0], to, seg[2], seg[3], seg[4]] : [seg[0], to, seg[2], seg[3]]];
      }),
    );
    map.sources = kept.map((i) => map.sources[i]!);
    map.sourcesContent = kept.map((i) => map.sourcesContent?.[i] ?? null);
    map.mappings = encode(lines);
    writeFileSync(mapFile, JSON.stringify(map));
    trimmed++;
  }
}
console.log(
  `[pulse-mock] source maps: ${dropped} of third-party chunks dropped, ${trimmed} trimmed to our own sources`,
);
