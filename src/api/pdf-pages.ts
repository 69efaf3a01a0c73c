import { inflateSync } from 'node:zlib';

/**
 * A PDF's page count, read while its bytes stream through (nothing is buffered but a short tail
 * and, bounded, the compressed object streams):
 * - the largest `/Count` of a `/Type /Pages` dictionary (the page tree's root holds the total);
 * - else the number of `/Type /Page` dictionaries.
 * Both are also looked for inside compressed object streams (`/Type /ObjStm`, FlateDecode),
 * inflated up to `INFLATE_CAP` bytes each, where PDF 1.5+ writers put the page tree. Stream
 * contents are skipped otherwise: their bytes are not PDF syntax. The result is the same however
 * the file is cut into chunks.
 */
export class PdfPageCounter {
  /** Longest token: `/Count` with spaces and digits, `/Type` + spaces + `/Pages` + one more byte. */
  static readonly #WINDOW = 64;
  static readonly INFLATE_CAP = 8 * 1024 * 1024;
  static readonly STREAM_CAP = 4 * 1024 * 1024;

  #tail = '';
  #pageObjects = 0;
  #largestCount = 0;
  /** Open dictionaries, innermost last. */
  #frames: Frame[] = [];
  /** The dictionary that closed last: a `stream` keyword belongs to it. */
  #lastClosed: Frame | undefined;
  /** Inside a stream: its bytes, kept only for an object stream we can inflate. */
  #stream: { keep: boolean; bytes: string[]; size: number } | undefined;

  get count(): number {
    return this.#largestCount > 0 ? this.#largestCount : this.#pageObjects;
  }

  add(chunk: Buffer): void {
    this.#scan(this.#tail + chunk.toString('latin1'), false);
  }

  /** After the last chunk: what the tail still holds counts too. */
  end(): void {
    this.#scan(this.#tail, true);
    this.#tail = '';
  }

  #scan(text: string, final: boolean): void {
    let pos = 0;
    // A token starting before `limit` is whole in `text`; later ones wait for the next chunk.
    const limit = final ? text.length : text.length - PdfPageCounter.#WINDOW;
    while (pos < limit) {
      if (this.#stream) {
        const end = text.indexOf('endstream', pos);
        const upto = end >= 0 && end < limit ? end : Math.max(pos, limit);
        this.#keepStream(text.slice(pos, upto));
        if (upto === end) {
          this.#endStream();
          pos = end + 'endstream'.length;
          continue;
        }
        pos = upto;
        break;
      }
      TOKEN.lastIndex = pos;
      const m = TOKEN.exec(text);
      if (!m || m.index >= limit) {
        pos = Math.max(pos, limit);
        break;
      }
      pos = m.index + m[0].length;
      this.#token(m);
      if (this.#stream && text[pos] === '\r') pos++;
      if (this.#stream && text[pos] === '\n') pos++;
    }
    this.#tail = final ? '' : text.slice(Math.max(pos, 0));
  }

  #token(m: RegExpExecArray): void {
    const top = this.#frames.at(-1);
    if (m[0] === '<<') this.#frames.push({});
    else if (m[0] === '>>') this.#close();
    else if (m[0].startsWith('stream')) {
      const dict = this.#lastClosed;
      const keep = !!dict?.objStm && !!dict.flate;
      this.#stream = { keep, bytes: [], size: 0 };
    } else if (m[1] !== undefined) {
      if (top) top.count = Number(m[1]);
    } else if (m[2] !== undefined) {
      if (!top) return;
      if (m[2] === 'Pages') top.pages = true;
      else if (m[2] === 'Page') top.page = true;
      else if (m[2] === 'ObjStm') top.objStm = true;
    } else if (m[3] !== undefined) {
      if (top) top.flate = true;
    }
  }

  #close(): void {
    const frame = this.#frames.pop();
    if (!frame) return;
    if (frame.pages && frame.count !== undefined) this.#largestCount = Math.max(this.#largestCount, frame.count);
    if (frame.page) this.#pageObjects++;
    this.#lastClosed = frame;
  }

  #keepStream(bytes: string): void {
    const s = this.#stream!;
    if (!s.keep) return;
    s.size += bytes.length;
    if (s.size > PdfPageCounter.STREAM_CAP) s.keep = false;
    else s.bytes.push(bytes);
  }

  #endStream(): void {
    const s = this.#stream!;
    this.#stream = undefined;
    this.#lastClosed = undefined;
    if (!s.keep) return;
    let inflated: Buffer;
    try {
      inflated = inflateSync(Buffer.from(s.bytes.join(''), 'latin1'), { maxOutputLength: PdfPageCounter.INFLATE_CAP });
    } catch {
      return; // not deflate, damaged, or past the cap: its pages are not counted
    }
    // An object stream holds bare dictionaries (no streams): one pass over its text.
    const inner = new PdfPageCounter();
    inner.#scan(inflated.toString('latin1'), true);
    this.#pageObjects += inner.#pageObjects;
    this.#largestCount = Math.max(this.#largestCount, inner.#largestCount);
  }
}

interface Frame {
  pages?: boolean;
  page?: boolean;
  objStm?: boolean;
  flate?: boolean;
  count?: number;
}

/** `<<`, `>>`, `stream`, `/Count N`, `/Type /X` (X: Pages, Page, ObjStm), `/FlateDecode`. */
const TOKEN =
  /<<|>>|(?<![A-Za-z])stream(?=\r?\n)|\/Count\s+(\d{1,9})(?=\D)|\/Type\s*\/(Pages|Page|ObjStm)(?![A-Za-z0-9])|\/(FlateDecode)(?![A-Za-z0-9])/g;
