import { DocumentCatalog } from '../../core/documents.js';
import { errors } from '../../core/errors.js';
import { normalizeExtractRequest, type ExtractRequest, type UploadedFile } from './request.js';
import type { JobRecord } from '../../core/job-store.js';
import { LARGE_DOCUMENT_PAGES, largeResultPointer } from './large-results.js';
import type {
  AsyncSubmissionResponse,
  CoreResponse,
  JobFileBytes,
  JobKind,
  JobSubmission,
  PulseCore,
} from '../../core/pulse-core.js';
import { seedFrom } from '../../core/random.js';
import type { ExtractResult, LargeResultPointer } from './result.js';
import type { DocumentInfo, DocumentKind } from '../../core/documents.js';
import { overridesFrom, type RequestOverrides } from '../../core/overrides.js';
import { Type, type Static } from '../../api/json-schema.js';
import { LIMITS } from '../../api/limits.js';
import { route, type ApiCall } from '../../api/contract.js';
import {
  batchCapability,
  checkAsRoute,
  defineOperation,
  operationOf,
  PLACEHOLDER_ID,
  presetOf,
  type OperationRoute,
  type PipelineStep,
} from '../operation.js';
import {
  AsyncSubmissionResponse as AsyncSubmissionSchema,
  ExtractResponse,
  extractBody,
  JobIdParams,
} from '../../api/schemas.js';
import { textOf } from '../../core/text.js';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A large result's link expires this long after its job completed (Pulse's presigned links: an hour). */
const LARGE_RESULT_LINK_MS = 3_600_000;

/**
 * The result generator pulls in faker, json-schema-faker, ajv and marked: loaded on first use,
 * not at start-up (it was most of the start time; see bench/RESULTS.md).
 */
let generator: Promise<typeof import('./result.js')> | undefined;
const loadGenerator = () => (generator ??= import('./result.js'));
/** marked is loaded for the first request that asks for HTML only (about 20 ms of every cold start otherwise). */
let html: Promise<(markdown: string) => string> | undefined;
const loadHtml = () =>
  (html ??= import('marked').then(
    ({ marked }) =>
      (markdown: string) =>
        marked.parse(markdown, { async: false }),
  ));

/** A stored extraction as the operations that read one see it. */
export interface StoredExtraction {
  extractionId: string;
  jobId: string;
  document: DocumentInfo;
  /** The seed its body (and its document model) were made with. */
  seed: number;
}

/** What an adapter hands over for one extract call. */
export interface ExtractInput {
  fields: Record<string, unknown>;
  upload?: UploadedFile;
  /** Per-request controls from `x-pulse-mock-*` headers. */
  overrides?: RequestOverrides;
  /** The URL the caller reached the mock at, for links in bodies. */
  baseUrl: string;
  /** Force async (the /extract_async route). */
  forceAsync?: boolean;
  /** See `ApiCall.outcomePlanned`. */
  outcomePlanned?: boolean;
}

/** An extract job's recipe: the normalised request and the document it reads; the body is regenerated. */
export interface ExtractJobData {
  request: ExtractRequest;
  document: DocumentInfo;
  extractionId: string;
  /** Large documents: the one-time download was used. */
  largeResultFetched: boolean;
}

/**
 * `POST /extract`: sync (the body now) or async (a job of kind `extract`), and the one-time
 * downloads of large results. Everything extract-specific lives here; the job lifecycle is the core's.
 */
export class ExtractOperation implements JobKind<ExtractJobData> {
  readonly kind = 'extract';
  readonly #documents: DocumentCatalog;
  /** Large results of synchronous extracts, by id: generated once, served once. */
  readonly #syncLarge = new Map<string, { fetched: boolean; produce: () => ExtractResult }>();
  /** Signs large-result links; from the seed, so links stay valid across a --state restart and replay. */
  readonly #linkKey: Buffer;
  /** extraction_id -> the job that holds it. */
  readonly #byExtraction = new Map<string, string>();

  constructor(readonly core: PulseCore) {
    this.#documents = core.documents;
    this.#linkKey = createHash('sha256').update(`${core.options.seed}/large-result-links`).digest();
  }

  /**
   * A large result's url, as Pulse hands out a presigned link: it needs no API key, works once
   * (the same one use as GET /large_results/{id} with the key) and expires an hour after the job
   * completed, on the mock's clock.
   */
  #largeLink(id: string, baseUrl: string, completedAt: number): string {
    const expires = Math.floor((completedAt + LARGE_RESULT_LINK_MS) / 1000);
    return `${baseUrl}/large_results/${id}?expires=${expires}&token=${this.#linkToken(id, expires)}`;
  }

  #linkToken(id: string, expires: number): string {
    return createHmac('sha256', this.#linkKey).update(`${id}.${expires}`).digest('base64url');
  }

  /** A link's token and expiry, checked; throws 401 for a token that is not ours, 410 once expired. */
  #checkLink(id: string, query: Record<string, string>): void {
    const expires = Number(query.expires);
    const expected = Number.isInteger(expires) ? this.#linkToken(id, expires) : '';
    const given = Buffer.from(query.token ?? '');
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected)))
      throw errors.largeResultLinkInvalid(id);
    if (this.core.clock.now() > expires * 1000) throw errors.largeResultExpired(id);
  }

  async extract(
    input: ExtractInput,
  ): Promise<CoreResponse<ExtractResult | LargeResultPointer | AsyncSubmissionResponse>> {
    const req = normalizeExtractRequest(this.#withPreset(input.fields), input.upload);
    const seed = this.core.options.seed;
    if (input.forceAsync || req.async) {
      return this.core.submit<ExtractJobData>(this.kind, this.submission(req, input.overrides));
    }
    // Planned as an async job would be: a planned failure is a 400, and a rule may set the pages.
    const plan = input.outcomePlanned ? undefined : this.core.planSync(candidatesOf(req), input.overrides);
    const { generateExtraction } = await loadGenerator();
    const toHtml = req.returnHtml ? await loadHtml() : undefined;
    const doc = this.#documents.describe(
      req,
      seed,
      input.overrides?.pages ?? plan?.pages,
      undefined,
      input.overrides?.facts,
    );
    const id = this.core.newId();
    // A synchronous call gets a job id when something will name it later: its image URLs, or
    // its extraction_id (split, schema and tables read the stored extraction through it).
    const job =
      req.figures?.showImages || req.storage
        ? this.core.recordSync<ExtractJobData>(this.kind, {
            data: { request: req, document: doc, extractionId: id, largeResultFetched: false },
            pages: doc.pages.length,
          })
        : undefined;
    if (job) this.#index(job);
    const produce = () =>
      generateExtraction(req, doc, {
        seed: this.#resultSeed(req),
        extractionId: id,
        ...(toHtml ? { toHtml } : {}),
        // The stored extraction as a job, as an async result names it (the SDK types say it is
        // there whenever storage is on).
        ...(job
          ? {
              imagesBase: `${input.baseUrl}/results/${job.id}/images/`,
              extractionUrl: `${input.baseUrl}/job/${job.id}`,
            }
          : {}),
      });
    if (doc.pages.length >= LARGE_DOCUMENT_PAGES) {
      // The body is generated when the one-time URL is fetched, not now.
      this.#rememberSyncLarge(id, produce);
      const link = this.#largeLink(id, input.baseUrl, this.core.clock.now());
      return { status: 200, body: largeResultPointer(req, doc, id, link) };
    }
    return { status: 200, body: produce() };
  }

  /**
   * What a request's document is, as an extract would read it (its kind, its pages: the upload's
   * own, `pagesOverride` from `x-pulse-mock-pages`, a document rule, a `-Np` name or the seed).
   * Forms count their pages this way too.
   */
  describeDocument(
    req: ExtractRequest,
    pagesOverride?: number,
    kindHint?: DocumentKind,
    facts?: Record<string, unknown>,
  ): DocumentInfo {
    return this.#documents.describe(req, this.core.options.seed, pagesOverride, kindHint, facts);
  }

  /** An async extract job of a normalised request: alone, or as a batch's child. */
  submission(req: ExtractRequest, overrides?: ExtractInput['overrides']): JobSubmission<ExtractJobData> {
    return {
      candidates: candidatesOf(req),
      ...(overrides ? { overrides } : {}),
      build: (plan) => {
        const document = this.#documents.describe(
          req,
          this.core.options.seed,
          overrides?.pages ?? plan.pages,
          undefined,
          overrides?.facts,
        );
        return {
          data: { request: req, document, extractionId: this.core.newId(), largeResultFetched: false },
          pages: document.pages.length,
        };
      },
    };
  }

  /** Whether the kept jobs have been indexed (they are once, on the first unknown id). */
  #indexedKept = false;

  /** Each extract job accepted (its own, or a batch's item) is indexed by its extraction id. */
  accepted(job: JobRecord<ExtractJobData>): void {
    this.#index(job);
  }

  /** Indexes the extractions of the jobs kept (restored from `--state`). */
  indexJobs(jobs: readonly JobRecord[]): void {
    for (const j of jobs) if (j.kind === this.kind) this.#index(j as JobRecord<ExtractJobData>);
  }

  /**
   * The stored extraction an `extraction_id` names, for the operations that read one (split,
   * schema, tables): its document and the seed of its body, so they read the same document.
   * 404 naming the id when there is none (never stored, `storage.enabled: false`, evicted), or
   * when its job has not completed.
   */
  extraction(extractionId: string): StoredExtraction {
    let jobId = this.#byExtraction.get(extractionId);
    if (jobId === undefined && !this.#indexedKept) {
      // Jobs restored from --state were never indexed: index every kept one, once (an unknown
      // id looked up by a scan each time made every miss cost the whole store).
      this.#indexedKept = true;
      this.indexJobs(this.core.jobs.list());
      jobId = this.#byExtraction.get(extractionId);
    }
    const job = jobId === undefined ? undefined : (this.core.jobs.get(jobId) as JobRecord<ExtractJobData> | undefined);
    if (!job || !job.data.request.storage) throw errors.extractionNotFound(extractionId);
    if (job.status !== 'completed') throw errors.extractionNotReady(extractionId, job.id, job.status);
    return { extractionId, jobId: job.id, document: job.data.document, seed: this.#resultSeed(job.data.request) };
  }

  /** Remembers which job holds an extraction (its id is not the job's). */
  #index(job: JobRecord<ExtractJobData>): void {
    if (!job.data.request.storage) return;
    this.#byExtraction.set(job.data.extractionId, job.id);
    if (this.#byExtraction.size > this.core.options.maxJobs * 2)
      this.#byExtraction.delete(this.#byExtraction.keys().next().value as string);
  }

  /** `extractionConfigId`: a saved set of options (config file `presets`), under the request's own fields (inline fields win). */
  #withPreset(fields: Record<string, unknown>): Record<string, unknown> {
    const id = fields.extractionConfigId ?? fields.extraction_config_id;
    if (id === undefined) return fields;
    const { extractionConfigId: _a, extraction_config_id: _b, ...own } = fields;
    return {
      ...presetOf(this.core, extractionPresets, textOf(id)).options,
      ...own,
    };
  }

  /** A completed extract job's `result`: the body, or for a large document the one-time URL. */
  result(job: JobRecord<ExtractJobData>, baseUrl: string): Promise<ExtractResult> | LargeResultPointer {
    const { request, document, extractionId } = job.data;
    return document.pages.length >= LARGE_DOCUMENT_PAGES
      ? largeResultPointer(request, document, extractionId, this.#largeLink(job.id, baseUrl, job.updatedAt))
      : this.#resultOf(job, baseUrl);
  }

  /** `GET /large_results/{id}`: the full body, once; then 410. */
  async largeResult(
    id: string,
    baseUrl: string,
    query: Record<string, string> = {},
  ): Promise<CoreResponse<ExtractResult>> {
    // With the link's token, the token is the credential (the pipeline asked for no key).
    const viaLink = query.token !== undefined;
    const sync = this.#syncLarge.get(id);
    if (sync) {
      if (viaLink) this.#checkLink(id, query);
      if (sync.fetched) throw errors.largeResultGone(id);
      sync.fetched = true;
      return { status: 200, body: sync.produce() };
    }
    const job = this.core.jobs.get(id) as JobRecord<ExtractJobData> | undefined;
    if (
      !job ||
      job.kind !== this.kind ||
      job.status !== 'completed' ||
      job.data.document.pages.length < LARGE_DOCUMENT_PAGES
    )
      throw errors.largeResultNotFound(id);
    if (viaLink) this.#checkLink(id, query);
    if (job.data.largeResultFetched) throw errors.largeResultGone(id);
    job.data.largeResultFetched = true;
    return { status: 200, body: await this.#resultOf(job, baseUrl) };
  }

  /**
   * `GET /results/{jobId}/images/{filename}`: a figure of a completed extraction as a PNG, drawn
   * from the same document model as its body (repeatable; it does not use up a large result).
   */
  /** Its files: each figure's PNG, by the name its `image_url` gives (`GET /results/{jobId}/images/{filename}`). */
  async file(job: JobRecord<ExtractJobData>, filename: string): Promise<JobFileBytes | undefined> {
    if (job.status !== 'completed') return undefined;
    const [{ buildDocumentModel }, { renderFigurePng }] = await Promise.all([
      import('../../core/document-model.js'),
      import('../../core/figure-png.js'),
    ]);
    const seed = this.#resultSeed(job.data.request);
    const figure = buildDocumentModel(job.data.document, seed).blocks.find(
      (b) => b.figure?.filename === filename,
    )?.figure;
    return figure && { bytes: renderFigurePng(figure, seedFrom(seed, 'figure', filename)), contentType: 'image/png' };
  }

  /**
   * A finished job's body, a pure function of the job, generated when read: the core keeps the
   * last results read (`PulseCore.getJob`), and a large result is read once.
   */
  async #resultOf(job: JobRecord<ExtractJobData>, baseUrl: string): Promise<ExtractResult> {
    const { generateExtraction } = await loadGenerator();
    const toHtml = job.data.request.returnHtml ? await loadHtml() : undefined;
    const result = generateExtraction(job.data.request, job.data.document, {
      ...(toHtml ? { toHtml } : {}),
      // Derived here, not at submission: most jobs' results are never read.
      seed: this.#resultSeed(job.data.request),
      extractionId: job.data.extractionId,
      extractionUrl: `${baseUrl}/job/${job.id}`,
      jobId: job.id,
      ...(job.data.request.figures?.showImages ? { imagesBase: `${baseUrl}/results/${job.id}/images/` } : {}),
    });
    return result;
  }

  /** The seed of a request's result body: the same request, the same body. */
  #resultSeed(req: ExtractRequest): number {
    return seedFrom(this.core.options.seed, 'result', requestFingerprint(req));
  }

  #rememberSyncLarge(id: string, produce: () => ExtractResult): void {
    this.#syncLarge.set(id, { fetched: false, produce });
    // Bounded like the job store: the oldest pointer goes first.
    if (this.#syncLarge.size > Math.max(100, Math.floor(this.core.options.maxJobs / 10))) {
      const oldest = this.#syncLarge.keys().next().value;
      if (oldest !== undefined) this.#syncLarge.delete(oldest);
    }
  }
}

/** The parts of a request that decide its result body (not its id, not its timing). */
function requestFingerprint(req: ExtractRequest): unknown {
  return {
    source:
      req.source.kind === 'upload'
        ? { sha256: req.source.file.sha256, name: req.source.file.filename }
        : req.source.url,
    pages: req.pages,
    model: req.model,
    structured: req.structured,
    chunking: req.chunking,
    html: req.returnHtml,
  };
}

const submit = (forceAsync: boolean) => async (c: ApiCall, op: ExtractOperation) =>
  op.extract({
    fields: c.fields,
    ...(c.upload ? { upload: c.upload } : {}),
    overrides: overridesFrom(c.header),
    baseUrl: c.baseUrl,
    forceAsync,
    ...(c.outcomePlanned ? { outcomePlanned: true } : {}),
  });

const UPLOAD_TYPES = ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'];

/** The names outcome rules match for an extract: its file name and, for a URL, the URL. */
function candidatesOf(req: ExtractRequest): string[] {
  return [req.fileName, req.source.kind === 'url' ? req.source.url : req.fileName];
}

/** Extract's routes: `POST /extract` (sync, or async with `async: true`), the deprecated `POST /extract_async`, and large results. */
const extractRoutes: OperationRoute<ExtractOperation>[] = [
  route({
    method: 'POST',
    path: '/extract',
    route: 'extract',
    readsBody: true,
    schema: {
      summary: 'Extract a document (sync), or submit an async job with async=true',
      tags: ['extract'],
      consumes: UPLOAD_TYPES,
      body: extractBody,
      response: { 200: Type.Union([AsyncSubmissionSchema, ExtractResponse]), 202: AsyncSubmissionSchema },
    },
    handle: (c, op: ExtractOperation) => submit(false)(c, op),
  }),
  route({
    method: 'POST',
    path: '/extract_async',
    route: 'extract',
    readsBody: true,
    schema: {
      summary: 'Submit an async extraction job (deprecated: use /extract with async=true)',
      tags: ['extract'],
      deprecated: true,
      consumes: UPLOAD_TYPES,
      body: extractBody,
      response: { 200: AsyncSubmissionSchema, 202: AsyncSubmissionSchema },
    },
    handle: (c, op: ExtractOperation) => submit(true)(c, op),
  }),
  route({
    method: 'GET',
    path: '/large_results/:jobId',
    route: 'large-results',
    readsBody: false,
    schema: {
      summary:
        "Download the full result of a large document (>= 70 pages); works once, then 410. The result's url carries expires and token: with them no x-api-key is needed (401 INVALID_LINK if altered, 410 an hour after the job completed)",
      tags: ['jobs'],
      params: JobIdParams,
      querystring: Type.Object({
        expires: Type.Optional(
          Type.String({ pattern: '^[0-9]{1,12}$', description: 'Unix seconds the link expires at' }),
        ),
        token: Type.Optional(Type.String({ maxLength: 100, description: "The link's signature" })),
      }),
      response: { 200: ExtractResponse },
    },
    signedLink: true,
    handle: (c, op: ExtractOperation) => op.largeResult(c.params.jobId, c.baseUrl, c.query),
  }),
  route({
    method: 'GET',
    path: '/results/:jobId/images/:filename',
    route: 'images',
    readsBody: false,
    schema: {
      summary:
        'Download a figure of an extraction as a PNG (bounding_boxes.Images[].image_url, with figureProcessing.showImages)',
      tags: ['extract'],
      params: Type.Object({
        jobId: Type.String({ minLength: 1, maxLength: 200 }),
        filename: Type.String({ minLength: 1, maxLength: 200 }),
      }),
      response: { 200: Type.String({ contentMediaType: 'image/png', description: 'PNG bytes' }) },
    },
    handle: (c, _op: ExtractOperation) => {
      const filename = c.params.filename;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(filename) || filename.includes('..'))
        throw errors.invalidParameter(
          'filename',
          `"${filename.slice(0, 60)}" is not an image file name (letters, digits, ".", "_" and "-"; no "/" or "..").`,
        );
      return c.core.file(c.params.jobId, filename);
    },
  }),
];

const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The items of a batch extract: file URLs, base64 files, or an S3 prefix standing for a few files. */
function batchItems(
  call: ApiCall,
  input: Static<typeof BatchExtractFields.input>,
  options: Record<string, unknown>,
  s3Items: number,
): { fields: Record<string, unknown>; upload?: UploadedFile; input: string }[] {
  const given = [input.s3_prefix, input.file_urls, input.files].filter((x) => x !== undefined).length;
  if (given !== 1) throw errors.invalidParameter('input', 'input needs exactly one of s3_prefix, file_urls and files.');
  // /extract's own schema and limits, checked once for every item, before any job is made.
  checkAsRoute(
    call.routeTo('POST', '/extract'),
    { ...options, file_url: 'https://example.com/item.pdf' },
    'extract_options',
  );
  if (input.file_urls) return input.file_urls.map((url) => ({ fields: { ...options, file_url: url }, input: url }));
  if (input.files)
    return input.files.map((file) => {
      const bytes = Buffer.from(file.content, 'base64');
      const ext = file.filename.split('.').pop()?.toLowerCase() ?? '';
      return {
        fields: { ...options },
        upload: {
          filename: file.filename,
          mimetype: MIME[ext] ?? 'application/octet-stream',
          size: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
        input: file.filename,
      };
    });
  const prefix = input.s3_prefix as string;
  if (!/^s3:\/\/[^/]+\/?/.test(prefix))
    throw errors.invalidParameter('input.s3_prefix', 'input.s3_prefix must look like s3://bucket/folder/.');
  const base = `https://${prefix.replace(/^s3:\/\//, '').replace(/\/?$/, '/')}`;
  return Array.from({ length: s3Items }, (_, i) => ({
    fields: { ...options, file_url: `${base}document-${i + 1}.pdf` },
    input: `${prefix.replace(/\/?$/, '/')}document-${i + 1}.pdf`,
  }));
}

const BatchExtractFields = {
  input: Type.Object(
    {
      s3_prefix: Type.Optional(Type.String({ maxLength: LIMITS.urlLength })),
      file_urls: Type.Optional(
        Type.Array(Type.String({ maxLength: LIMITS.urlLength }), { minItems: 1, maxItems: 1000 }),
      ),
      files: Type.Optional(
        Type.Array(
          Type.Object(
            { filename: Type.String({ minLength: 1, maxLength: 255 }), content: Type.String() },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 1000 },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  extract_options: Type.Optional(Type.Object({}, { additionalProperties: true })),
};

/** A pipeline's extract steps: `extract` (one document) and `batch_extract` (many, by URL). */
const STORED = { storage: { enabled: true }, async: false };
const pipelineSteps: PipelineStep[] = [
  {
    name: 'extract',
    follows: [],
    plans: () => ({ extractionId: PLACEHOLDER_ID }),
    requests: (config, fileUrl) => [
      {
        path: '/extract',
        fields: {
          ...config,
          ...(fileUrl !== undefined && config.file_url === undefined ? { file_url: fileUrl } : {}),
          ...STORED,
        },
      },
    ],
    collect: ([body], _config, made, call) => {
      made.extractionId = body?.extraction_id as string;
      return {
        name: 'extract',
        jobId: operationOf<ExtractOperation>(call, 'extract').extraction(made.extractionId).jobId,
      };
    },
    result: (run, _step, latency) => ({ ...run, pages: run.page_count, latency }),
  },
  {
    name: 'batch_extract',
    follows: [],
    plans: (config) => ({ extractionIds: pipelineBatchUrls(config).map(() => PLACEHOLDER_ID) }),
    requests: (config) => {
      const { file_urls: _u, fileUrls: _f, files: _x, workers: _w, ...options } = config;
      return pipelineBatchUrls(config).map((url) => ({
        path: '/extract',
        fields: { ...options, file_url: url, ...STORED },
      }));
    },
    collect: (bodies, _config, made) => {
      made.extractionIds = bodies.map((b) => b.extraction_id as string);
      return { name: 'batch_extract', extra: { extraction_ids: made.extractionIds, total_files: bodies.length } };
    },
    result: (_run, step, latency) => ({ ...step.extra, latency }),
  },
];

/** A pipeline batch_extract's file URLs (`file_urls`), or a 400. */
function pipelineBatchUrls(config: Record<string, unknown>): string[] {
  const { file_urls, fileUrls, files } = config as { file_urls?: string[]; fileUrls?: string[]; files?: unknown[] };
  const urls = file_urls ?? fileUrls ?? [];
  if (urls.length === 0 && !files?.length)
    throw errors.invalidParameter('steps.batch_extract', 'steps.batch_extract needs file_urls or files.');
  if (files?.length)
    throw errors.invalidParameter(
      'steps.batch_extract.files',
      'steps.batch_extract.files is not supported by this version of pulse-mock yet; give file_urls.',
    );
  return urls;
}

/** `extractionConfigId`: saved extract options (presets of kind `extraction`). */
const extractionPresets = {
  kind: 'extraction',
  field: 'extractionConfigId',
  schema: Type.Object({ options: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }),
};

/** Extract, as one operation module: its routes, its instance per core, its batch, its pipeline steps and its presets. */
export const extractOperation = defineOperation({
  kind: 'extract',
  create: (core) => new ExtractOperation(core),
  routes: extractRoutes,
  batch: batchCapability({
    total: 'total_files',
    properties: BatchExtractFields,
    jsonCarriesFiles: true,
    items: (call, op: ExtractOperation) => {
      const f = call.fields;
      const items = batchItems(call, f.input, f.extract_options ?? {}, op.core.options.s3PrefixItems ?? 3);
      return {
        children: items.map((item) => ({
          kind: 'extract',
          submission: op.submission(normalizeExtractRequest(item.fields, item.upload)),
        })),
        inputs: items.map((i) => i.input),
      };
    },
    resultId: (child): Record<string, string> => {
      const data = child.data as ExtractJobData;
      return data.request.storage ? { extraction_id: data.extractionId } : {};
    },
  }),
  pipelineSteps,
  presets: extractionPresets,
});
