import type { UploadedFile } from '../../api/body.js';
import { errors } from '../../core/errors.js';
import { textOf } from '../../core/text.js';

export type SchemaRequest =
  | { usable: true; schema: Record<string, unknown>; prompt?: string }
  | { usable: false; reason: string; prompt?: string };

export interface ChunkingRequest {
  types: ChunkType[];
  size?: number;
}

export type ChunkType = 'semantic' | 'header' | 'page' | 'recursive';
const CHUNK_TYPES: readonly ChunkType[] = ['semantic', 'header', 'page', 'recursive'];

export type { UploadedFile };

export interface ExtractRequest {
  source: { kind: 'upload'; file: UploadedFile } | { kind: 'url'; url: string };
  /** File name as the mock sees it: upload name, or the last path segment of the URL. */
  fileName: string;
  fileType: string;
  async: boolean;
  /**
   * Only options of Pulse's older API (`return_html`, `chunking`, `chunk_size`, top-level
   * `schema`, `schema_prompt`, `extract_figure`) and none of the newer ones: the answer then also
   * carries `plan-info`, the spelling that API's ExtractResponse had (SDK 0.0.64-0.0.66).
   */
  legacyOnly?: true;
  /** 1-indexed page numbers when `pages` was given, sorted and unique. */
  pages?: number[];
  pagesSpec?: string;
  model: string;
  structured?: SchemaRequest;
  chunking?: { request: ChunkingRequest; legacy: boolean };
  returnHtml?: { legacy: boolean };
  /** `figureProcessing` (and the deprecated top-level `showImages`): image URLs and descriptions of figures. */
  figures?: { showImages: boolean; description: boolean };
  storage: boolean;
  warnings: readonly string[];
}

export const SUPPORTED_FILE_TYPES = [
  'pdf',
  'jpg',
  'jpeg',
  'png',
  'docx',
  'pptx',
  'xlsx',
  'xls',
  'xlsm',
  'html',
  'htm',
] as const;
const MIME_TYPES: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'text/html': 'html',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'xlsm',
};
/** More than any real document; keeps a typo like "1-99999999" from allocating a huge array. */
export { MAX_PAGES } from '../../core/documents.js';
import { MAX_PAGES } from '../../core/documents.js';

/** Deeper than any real request: past it a body is refused before anything recurses into it. */
export const MAX_NESTING = 64;

/** Nesting depth of a parsed JSON value, without recursion (a hostile body cannot blow the stack). */
export function nestingDepth(value: unknown, limit = MAX_NESTING + 1): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max >= limit) return max;
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** Most bodies are flat (`file_url`, `async`): nothing to measure the depth of. */
function hasObjectField(fields: Record<string, unknown>): boolean {
  for (const k in fields) if (typeof fields[k] === 'object' && fields[k] !== null) return true;
  return false;
}

export function normalizeExtractRequest(fields: Record<string, unknown>, upload?: UploadedFile): ExtractRequest {
  if (hasObjectField(fields) && nestingDepth(fields) > MAX_NESTING)
    throw errors.invalidBody(`The request body is nested more than ${MAX_NESTING} levels deep.`, {
      max_depth: MAX_NESTING,
    });
  const warnings: string[] = [];
  const pick = (...names: string[]) => {
    for (const n of names) if (given(fields, n)) return fields[n];
    return undefined;
  };

  const rawUrl = pick('file_url', 'fileUrl', 'file-url');
  if (fields['file-url'] !== undefined) warnings.push('"file-url" is deprecated; use "file_url".');
  let source: ExtractRequest['source'];
  let fileName: string;
  if (upload) {
    source = { kind: 'upload', file: upload };
    fileName = upload.filename || 'upload';
    if (rawUrl !== undefined) warnings.push('Both a file and a file URL were sent; the uploaded file was used.');
  } else if (rawUrl !== undefined) {
    const parsed = parseFileUrl(rawUrl);
    source = { kind: 'url', url: parsed.url };
    fileName = parsed.fileName;
  } else {
    throw errors.missingFile();
  }

  const fileType = detectFileType(fileName, upload?.mimetype);

  const model = pick('model') ?? 'default';
  if (typeof model !== 'string') throw errors.invalidParameter('model', 'model must be a string.', model);

  const pagesValue = pick('pages');
  let pages: number[] | undefined;
  if (pagesValue !== undefined) pages = parsePageRange(pagesValue);

  const extensions = jsonOption(pick('extensions'), 'extensions');
  const structured = readSchema(pick, warnings);
  const chunking = readChunking(pick, extensions, warnings);
  const returnHtml = readReturnHtml(pick, extensions, warnings);
  const figures = readFigures(pick, warnings);
  const storage = jsonOption(pick('storage'), 'storage');
  const storageEnabled = storage?.enabled === undefined ? true : parseBoolean(storage.enabled, 'storage.enabled');

  return {
    source,
    fileName,
    fileType,
    async: parseBoolean(pick('async') ?? false, 'async'),
    ...(pages ? { pages, pagesSpec: textOf(pagesValue) } : {}),
    model,
    ...(structured ? { structured } : {}),
    ...(chunking ? { chunking } : {}),
    ...(returnHtml ? { returnHtml } : {}),
    ...(figures ? { figures } : {}),
    storage: storageEnabled,
    ...(isLegacyOnly(fields) ? { legacyOnly: true as const } : {}),
    warnings: warnings.length > 0 ? warnings : NO_WARNINGS,
  };
}

const LEGACY_OPTIONS = [
  'return_html',
  'returnHtml',
  'chunking',
  'chunk_size',
  'chunkSize',
  'schema',
  'schema_prompt',
  'schemaPrompt',
  'extract_figure',
  'extractFigure',
];
const NEWER_OPTIONS = ['structured_output', 'structuredOutput', 'extensions', 'figure_processing', 'figureProcessing'];
/** A field counts as given unless absent, null or empty (what clients send for "not set"). */
const given = (fields: Record<string, unknown>, name: string) =>
  fields[name] !== undefined && fields[name] !== null && fields[name] !== '';

function isLegacyOnly(fields: Record<string, unknown>): boolean {
  return LEGACY_OPTIONS.some((n) => given(fields, n)) && !NEWER_OPTIONS.some((n) => given(fields, n));
}

/** Shared by the (many) requests without warnings; jobs keep their request for their lifetime. */
const NO_WARNINGS: readonly string[] = Object.freeze([]);

export function parseBoolean(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True' || value === '1') return true;
  if (value === 'false' || value === 'False' || value === '0') return false;
  throw errors.invalidParameter(field, `${field} must be true or false.`, value);
}

/** "1-2,5" -> [1, 2, 5]. Pages are 1-indexed; ranges ascend. */
export function parsePageRange(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) value = String(value);
  if (typeof value !== 'string') throw errors.badPageRange(value, 'pages must be a string');
  const pages = new Set<number>();
  for (const part of value.split(',')) {
    const seg = part.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(seg);
    if (!m) throw errors.badPageRange(value, `"${seg}" is not a page or a range`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (start < 1) throw errors.badPageRange(value, 'pages start at 1');
    if (end < start) throw errors.badPageRange(value, `range "${seg}" goes backwards`);
    if (end > MAX_PAGES) throw errors.badPageRange(value, `pages above ${MAX_PAGES} are not supported`);
    for (let p = start; p <= end; p++) pages.add(p);
  }
  return [...pages].sort((a, b) => a - b);
}

function detectFileType(fileName: string, mimetype?: string): string {
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(fileName)?.[1]?.toLowerCase();
  if (ext) {
    if ((SUPPORTED_FILE_TYPES as readonly string[]).includes(ext))
      return ext === 'jpeg' ? 'jpg' : ext === 'htm' ? 'html' : ext;
    throw errors.unsupportedFileType(ext, SUPPORTED_FILE_TYPES);
  }
  if (mimetype && mimetype !== 'application/octet-stream') {
    const fromMime = MIME_TYPES[mimetype.toLowerCase()];
    if (!fromMime) throw errors.unsupportedFileType(mimetype, SUPPORTED_FILE_TYPES);
    return fromMime;
  }
  // A pre-signed URL often has no extension; Pulse sniffs the bytes. The mock assumes a PDF.
  return 'pdf';
}

/** Multipart carries object options as JSON strings (the SDKs' `toJson`); JSON carries objects. */
function jsonOption(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw errors.invalidParameter(
        field,
        `${field} must be an object or a JSON string of one.`,
        truncate(value as string),
      );
    }
    if (nestingDepth(value) > MAX_NESTING)
      throw errors.invalidParameter(field, `${field} is nested more than ${MAX_NESTING} levels deep.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw errors.invalidParameter(field, `${field} must be an object.`, value);
  return value as Record<string, unknown>;
}

type Pick = (...names: string[]) => unknown;

function readSchema(pick: Pick, warnings: string[]): SchemaRequest | undefined {
  const so = pick('structured_output', 'structuredOutput');
  const legacy = pick('schema');
  const legacyPrompt = pick('schema_prompt', 'schemaPrompt');
  if (so === undefined && legacy === undefined) return undefined;
  if (so !== undefined) {
    warnings.push('structured_output is deprecated; use the /schema endpoint after extraction.');
    let obj: unknown = so;
    if (typeof obj === 'string') {
      try {
        obj = JSON.parse(obj);
      } catch {
        return { usable: false, reason: 'structured_output is not valid JSON.' };
      }
      if (nestingDepth(obj) > MAX_NESTING)
        return { usable: false, reason: `structured_output is nested more than ${MAX_NESTING} levels deep.` };
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      return { usable: false, reason: 'structured_output must be an object with a "schema".' };
    const o = obj as Record<string, unknown>;
    const prompt = (o.schema_prompt ?? o.schemaPrompt ?? legacyPrompt) as string | undefined;
    return schemaFrom(o.schema, typeof prompt === 'string' ? prompt : undefined, 'structured_output.schema');
  }
  warnings.push('"schema" is deprecated; use structured_output.');
  return schemaFrom(legacy, typeof legacyPrompt === 'string' ? legacyPrompt : undefined, 'schema');
}

function schemaFrom(value: unknown, prompt: string | undefined, field: string): SchemaRequest {
  const p = prompt === undefined ? {} : { prompt };
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { usable: false, reason: `${field} is not valid JSON.`, ...p };
    }
    if (nestingDepth(value) > MAX_NESTING)
      return { usable: false, reason: `${field} is nested more than ${MAX_NESTING} levels deep.`, ...p };
  }
  if (value === undefined) return { usable: false, reason: `${field} is missing.`, ...p };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { usable: false, reason: `${field} must be a JSON Schema object.`, ...p };
  return { usable: true, schema: value as Record<string, unknown>, ...p };
}

function readChunking(pick: Pick, extensions: Record<string, unknown> | undefined, warnings: string[]) {
  const ext = extensions?.chunking;
  if (ext !== undefined && ext !== null && ext !== false) {
    const c = (typeof ext === 'object' ? ext : {}) as Record<string, unknown>;
    const types = chunkTypes(c.chunk_types ?? c.chunkTypes ?? ['semantic'], 'extensions.chunking.chunk_types');
    const size = chunkSize(c.chunk_size ?? c.chunkSize);
    return { request: { types, ...(size === undefined ? {} : { size }) }, legacy: false };
  }
  const legacy = pick('chunking');
  const legacySize = chunkSize(pick('chunk_size', 'chunkSize'));
  if (legacy === undefined) return undefined;
  warnings.push('"chunking" is deprecated; use extensions.chunking.');
  const types = chunkTypes(
    typeof legacy === 'string'
      ? legacy
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : legacy,
    'chunking',
  );
  return { request: { types, ...(legacySize === undefined ? {} : { size: legacySize }) }, legacy: true };
}

function chunkTypes(value: unknown, field: string): ChunkType[] {
  if (!Array.isArray(value) || value.length === 0)
    throw errors.invalidParameter(field, `${field} must list one or more of ${CHUNK_TYPES.join(', ')}.`, value);
  for (const t of value)
    if (!CHUNK_TYPES.includes(t as ChunkType))
      throw errors.invalidParameter(field, `Unknown chunk type "${String(t)}"; use ${CHUNK_TYPES.join(', ')}.`, t);
  return [...new Set(value as ChunkType[])];
}

function chunkSize(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 10000) throw errors.chunkSizeOutOfRange(value);
  return n;
}

function readReturnHtml(pick: Pick, extensions: Record<string, unknown> | undefined, warnings: string[]) {
  const alt = (extensions?.alt_outputs ?? extensions?.altOutputs) as Record<string, unknown> | undefined;
  if (alt && typeof alt === 'object') {
    const v = alt.return_html ?? alt.returnHtml;
    if (v !== undefined && parseBoolean(v, 'extensions.alt_outputs.return_html')) return { legacy: false };
  }
  const legacy = pick('return_html', 'returnHtml');
  if (legacy !== undefined && parseBoolean(legacy, 'return_html')) {
    warnings.push('"return_html" is deprecated; use extensions.alt_outputs.return_html.');
    return { legacy: true };
  }
  return undefined;
}

/**
 * A `file_url` as extract and forms take it: an http(s) URL (else a 400 naming file_url), and the
 * file name its path ends with (percent-decoded where it decodes; the host when there is none).
 */
export function parseFileUrl(rawUrl: unknown): { url: string; fileName: string; lastSegment: string } {
  if (typeof rawUrl !== 'string') throw errors.invalidParameter('file_url', 'file_url must be a string URL.', rawUrl);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw errors.invalidParameter('file_url', `file_url is not a valid URL: "${truncate(rawUrl)}".`, truncate(rawUrl));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw errors.invalidParameter(
      'file_url',
      `file_url must be an http(s) URL, got "${url.protocol}".`,
      truncate(rawUrl),
    );
  const lastSegment = decodeURIComponentSafe(url.pathname.split('/').filter(Boolean).pop() ?? '');
  return { url: url.toString(), fileName: lastSegment || url.hostname, lastSegment };
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `figureProcessing: { showImages, description }`; the top-level `showImages` still works, with a warning. */
function readFigures(pick: Pick, warnings: string[]): { showImages: boolean; description: boolean } | undefined {
  const fp = jsonOption(pick('figureProcessing', 'figure_processing'), 'figureProcessing');
  const legacy = pick('showImages', 'show_images');
  if (fp === undefined && legacy === undefined) return undefined;
  if (legacy !== undefined) warnings.push('"showImages" is deprecated; use figureProcessing.showImages.');
  const show = fp?.showImages ?? fp?.show_images ?? legacy;
  const figures = {
    showImages: show === undefined ? false : parseBoolean(show, 'figureProcessing.showImages'),
    description: fp?.description === undefined ? false : parseBoolean(fp.description, 'figureProcessing.description'),
  };
  return figures.showImages || figures.description ? figures : undefined;
}
