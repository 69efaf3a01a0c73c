import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BusboyFileStream } from '@fastify/busboy';
import sjson from 'secure-json-parse';
import { errors, PulseMockError } from '../core/errors.js';
import { LIMITS } from './limits.js';
import { PdfPageCounter } from './pdf-pages.js';

/**
 * The one normalised form of an extract request, whatever spelling it arrived in: JSON with
 * snake_case (Pulse's docs), multipart with camelCase and JSON-string options (the official
 * SDKs), or the older `file-url`. Both adapters parse their transport into `fields`, then
 * call `normalizeExtractRequest`.
 */
export interface UploadedFile {
  filename: string;
  mimetype: string;
  size: number;
  sha256: string;
  /** For a PDF, its page count as its page objects say (counted while it streams through). */
  pdfPages?: number;
}

/** A request body as either adapter has it: chunks, read at most once; null when there is none. */
export type BodySource = AsyncIterable<Uint8Array> | null;

export interface ParsedBody {
  /** Which body schema applies (a key of the route's `body.content`). */
  contentType: 'application/json' | 'multipart/form-data' | 'application/x-www-form-urlencoded';
  /** JSON as sent (any JSON value; the route schema says what is allowed), or form fields. */
  value: unknown;
  /** The `file` part of a multipart upload: its digest seeds the result, its bytes are not kept. */
  upload?: UploadedFile;
}

/** Multipart limits besides the body limit (generous for Pulse's forms, bounded for a flood). */
const MULTIPART = { files: 4, fields: 200, parts: 250, fieldSize: LIMITS.multipartFieldBytes };

/**
 * Reads and parses a request body: JSON (`application/json`, `*+json`), form-urlencoded or
 * multipart, at most `limit` bytes. Every refusal is a PulseMockError: 413 past the limit, 415
 * for another type, 400 for malformed JSON, an empty JSON body, or a repeated field or file.
 */
export async function readBody(
  contentTypeHeader: string | undefined,
  contentLength: string | undefined,
  body: BodySource,
  limits: BodyLimits,
): Promise<ParsedBody> {
  const type = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  const limit = type === 'multipart/form-data' ? limits.upload : limits.json;
  if (Number(contentLength ?? 0) > limit) throw tooLarge(type, limits);
  if (type === 'multipart/form-data') return readMultipart(contentTypeHeader!, body, limit);
  const text = body ? await readText(body, limit, () => tooLarge(type, limits)) : '';
  if (type === 'application/x-www-form-urlencoded')
    return { contentType: type, value: formFields(new URLSearchParams(text)) };
  if (type === 'application/json' || type.endsWith('+json')) {
    if (text.trim() === '')
      throw errors.invalidBody('The body is empty but Content-Type is application/json; send a JSON object.');
    try {
      return {
        contentType: 'application/json',
        value: sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }),
      };
    } catch (e) {
      throw errors.invalidBody(`Malformed JSON body: ${(e as Error).message}`);
    }
  }
  // No body at all: the operation says what is missing (e.g. REQ_001 for a file).
  if (type === '' && text === '') return { contentType: 'application/json', value: {} };
  throw errors.unsupportedMediaType(type || 'none');
}

/** The largest body a route takes: uploads (multipart), and JSON or form text. */
export interface BodyLimits {
  upload: number;
  json: number;
  /** The flag that sets `json` on this route. */
  jsonFlag: '--json-body-limit' | '--body-limit';
}

/** 413: an upload past --body-limit says FILE_002 as Pulse does; a JSON or form body names its limit and flag. */
function tooLarge(type: string, limits: BodyLimits) {
  return type === 'multipart/form-data'
    ? errors.fileTooLarge(limits.upload)
    : errors.bodyTooLarge(limits.json, limits.jsonFlag);
}

async function readText(body: AsyncIterable<Uint8Array>, limit: number, tooBig: () => Error): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > limit) throw tooBig();
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof PulseMockError) throw e;
    // The client went away, or the request timed out, mid-body: its fault, not the mock's.
    throw errors.invalidBody(`The request body broke off before its end (${(e as Error).message}).`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function formFields(params: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(fields, key)) throw errors.repeatedField(key);
    fields[key] = value;
  }
  return fields;
}

async function readMultipart(contentType: string, body: BodySource, limit: number): Promise<ParsedBody> {
  // Loaded on the first upload: most unit tests send JSON only.
  // Through the default export (module.exports): a bundle keeps only that of a CommonJS module,
  // not the named exports Node's interop adds (the installed CLI once answered every upload
  // 'Busboy is not a function'). module.exports is Busboy, with itself as its .Busboy.
  const { Busboy } = (await import('@fastify/busboy')).default;
  const fields: Record<string, string> = {};
  let upload: UploadedFile | undefined;
  const files: Promise<void>[] = [];
  let parser: ReturnType<typeof Busboy>;
  try {
    parser = Busboy({
      headers: { 'content-type': contentType },
      limits: { ...MULTIPART, fileSize: limit, fieldSize: Math.min(limit, MULTIPART.fieldSize) },
    });
  } catch (e) {
    throw errors.invalidBody(`Malformed multipart body: ${(e as Error).message}`);
  }
  const fail = (e: PulseMockError) => parser.destroy(e);
  const tooMany = (what: 'parts' | 'files' | 'fields') => () => fail(errors.multipartTooMany(what, MULTIPART));
  parser.on('partsLimit', tooMany('parts')).on('filesLimit', tooMany('files')).on('fieldsLimit', tooMany('fields'));
  parser.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    if (valueTruncated)
      return fail(
        errors.invalidParameter(
          name,
          `The field "${name}" is longer than ${Math.min(limit, MULTIPART.fieldSize)} bytes; send a document as the file part.`,
        ),
      );
    if (Object.hasOwn(fields, name) || (name === 'file' && upload)) return fail(errors.repeatedField(name));
    fields[name] = value;
  });
  parser.on('file', (name: string, stream: BusboyFileStream, filename: string, _encoding: string, mimetype: string) => {
    if (name !== 'file') {
      stream.resume();
      return fail(
        errors.invalidParameter(name, `Unexpected file part "${name}": upload the document as the "file" part.`),
      );
    }
    if (upload || Object.hasOwn(fields, 'file')) {
      stream.resume();
      return fail(errors.repeatedField('file'));
    }
    const file: UploadedFile = { filename, mimetype, size: 0, sha256: '' };
    upload = file;
    // Streams the file through a hash instead of buffering it: only its name, type, size and
    // digest matter to the mock (the digest seeds the result, so the same file gives the same body).
    const hash = createHash('sha256');
    const pages = /\.pdf$/i.test(filename) || mimetype === 'application/pdf' ? new PdfPageCounter() : undefined;
    files.push(
      pipeline(
        stream,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            pages?.add(chunk);
            file.size += chunk.length;
            done();
          },
        }),
      ).then(() => {
        if (stream.truncated) throw errors.fileTooLarge(limit);
        file.sha256 = hash.digest('hex');
        pages?.end();
        if (pages && pages.count > 0) file.pdfPages = pages.count;
      }),
    );
  });
  try {
    // `Readable.from` ends the source's iteration (not the socket) if the parser fails early.
    await pipeline(Readable.from(body ?? []), parser);
    await Promise.all(files);
  } catch (e) {
    void Promise.allSettled(files); // a file's own failure is moot once the body is refused
    if (e instanceof PulseMockError) throw e;
    throw errors.invalidBody(`Malformed multipart body: ${(e as Error).message}`);
  }
  return {
    contentType: 'multipart/form-data',
    value: upload ? { ...fields, file: upload.filename } : fields,
    ...(upload ? { upload } : {}),
  };
}
