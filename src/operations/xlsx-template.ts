import { inflateRawSync } from 'node:zlib';

/**
 * The first two rows of an Excel template's first sheet, read with bounds a hostile file cannot
 * pass: the zip's central directory is read first, an entry whose declared or inflated size is
 * over `XLSX_ENTRY_CAP` is refused, and only the cells of rows 1 and 2 (and the shared strings
 * they name) are looked at. A general xlsx reader parsed everything on the main thread: a 13 KB
 * zip bomb blocked the loop for a minute, a 428 KB string table took 3.9 s and 700 MB.
 */
export const XLSX_ENTRY_CAP = 4 * 1024 * 1024;

export class XlsxTemplateError extends Error {}

interface Entry {
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** Rows 1 and 2 of the first sheet: header texts and the sample row's values (numbers as numbers). */
export function readTemplateRows(bytes: Buffer): [unknown[], unknown[]] {
  const entries = centralDirectory(bytes);
  const sheetName = firstSheet(entries, bytes);
  const sheet = entryText(bytes, entries, sheetName);
  if (sheet === undefined) throw new XlsxTemplateError('it has no worksheet');
  const rows: { cells: { col: number; type: string; value: string }[] }[] = [];
  for (const m of sheet.matchAll(/<row\b[^>]*?(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    rows.push({ cells: cellsOf(m[1] ?? '') });
    if (rows.length === 2) break;
  }
  const sharedIndexes = rows.flatMap((r) => r.cells.filter((c) => c.type === 's').map((c) => Number(c.value)));
  const shared = sharedIndexes.length
    ? sharedStrings(entryText(bytes, entries, 'xl/sharedStrings.xml') ?? '', Math.max(...sharedIndexes))
    : [];
  const rowValues = (i: number): unknown[] => {
    const out: unknown[] = [];
    for (const c of rows[i]?.cells ?? []) {
      if (c.col > 1000) break;
      out[c.col] =
        c.type === 's'
          ? shared[Number(c.value)]
          : c.type === 'inlineStr' || c.type === 'str'
            ? c.value
            : c.value === ''
              ? undefined
              : Number(c.value);
    }
    return out;
  };
  return [rowValues(0), rowValues(1)];
}

function centralDirectory(bytes: Buffer): Map<string, Entry> {
  // End of central directory: the last 22 bytes, or up to 64 KB further back with a comment.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--)
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new XlsxTemplateError('it is not a zip file (an .xlsx is one)');
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  if (count > 10_000) throw new XlsxTemplateError(`its zip lists ${count} entries`);
  const entries = new Map<string, Entry>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50)
      throw new XlsxTemplateError('its zip directory is damaged');
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    entries.set(bytes.toString('utf8', at + 46, at + 46 + nameLength), {
      method: bytes.readUInt16LE(at + 10),
      compressedSize: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      offset: bytes.readUInt32LE(at + 42),
    });
    at += 46 + skip;
  }
  return entries;
}

function entryText(bytes: Buffer, entries: Map<string, Entry>, name: string): string | undefined {
  const e = entries.get(name);
  if (!e) return undefined;
  if (e.size > XLSX_ENTRY_CAP)
    throw new XlsxTemplateError(
      `its ${name} is ${e.size} bytes unpacked; a template may have at most ${XLSX_ENTRY_CAP}`,
    );
  if (e.offset + 30 > bytes.length || bytes.readUInt32LE(e.offset) !== 0x04034b50)
    throw new XlsxTemplateError(`its ${name} is damaged`);
  const start = e.offset + 30 + bytes.readUInt16LE(e.offset + 26) + bytes.readUInt16LE(e.offset + 28);
  const data = bytes.subarray(start, start + e.compressedSize);
  if (e.method === 0) return data.toString('utf8');
  if (e.method !== 8) throw new XlsxTemplateError(`its ${name} uses zip method ${e.method}`);
  try {
    // The declared size may lie: the inflated bytes are capped too.
    return inflateRawSync(data, { maxOutputLength: XLSX_ENTRY_CAP }).toString('utf8');
  } catch (e) {
    throw new XlsxTemplateError(
      (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
        ? `its ${name} unpacks to more than ${XLSX_ENTRY_CAP} bytes`
        : `its ${name} cannot be unpacked`,
    );
  }
}

/** The first sheet's part name, from the workbook's relationships (sheet1.xml when they do not say). */
function firstSheet(entries: Map<string, Entry>, bytes: Buffer): string {
  const workbook = entryText(bytes, entries, 'xl/workbook.xml') ?? '';
  const rid = /<sheet\b[^>]*\br:id="([^"]+)"/.exec(workbook)?.[1];
  const rels = rid ? (entryText(bytes, entries, 'xl/_rels/workbook.xml.rels') ?? '') : '';
  const target = rid
    ? new RegExp(`<Relationship\\b[^>]*Id="${rid.replace(/[^\w]/g, '')}"[^>]*Target="([^"]+)"`).exec(rels)?.[1]
    : undefined;
  if (!target) return 'xl/worksheets/sheet1.xml';
  return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
}

function cellsOf(row: string): { col: number; type: string; value: string }[] {
  const cells: { col: number; type: string; value: string }[] = [];
  let next = 0;
  for (const m of row.matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
    const attrs = m[1] ?? '';
    const ref = /\br="([A-Z]{1,3})\d+"/.exec(attrs)?.[1];
    const col = ref ? [...ref].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1 : next;
    next = col + 1;
    const type = /\bt="(\w+)"/.exec(attrs)?.[1] ?? 'n';
    const inner = m[2] ?? '';
    const value =
      type === 'inlineStr'
        ? textOfXml(/<is>([\s\S]*?)<\/is>/.exec(inner)?.[1] ?? '')
        : unescapeXml(/<v>([\s\S]*?)<\/v>/.exec(inner)?.[1] ?? '');
    cells.push({ col, type, value });
  }
  return cells;
}

/** Shared strings 0..`upTo` (each `<si>` may hold several runs). */
function sharedStrings(xml: string, upTo: number): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<si>([\s\S]*?)<\/si>|<si\/>/g)) {
    out.push(textOfXml(m[1] ?? ''));
    if (out.length > upTo) break;
  }
  return out;
}

const textOfXml = (xml: string) =>
  [...xml.matchAll(/<t\b[^>]*>([\s\S]*?)<\/t>/g)].map((t) => unescapeXml(t[1] ?? '')).join('');

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}
