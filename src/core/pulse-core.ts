import type { Clock, Timer } from '../clock.js';
import { DocumentCatalog, type DocumentRule } from './documents.js';
import { errors } from './errors.js';
import { jobEvent, TERMINAL_STATUSES, type JobEvent, type JobEventListener, type JobEventType, type JobStatus } from './events.js';
import { normalizeExtractRequest, type UploadedFile } from './extract-request.js';
import { JobStore, type JobRecord } from './job-store.js';
import { OutcomePlanner, type OutcomeOverrides, type OutcomeRule } from './outcomes.js';
import { IdSequence, SeededRandom, seedFrom } from './random.js';
import type { ExtractResult, LargeResultPointer } from './result-generator.js';
import { LARGE_DOCUMENT_PAGES, largeResultPointer } from './large-results.js';

/**
 * The result generator pulls in faker, json-schema-faker, ajv and marked: loaded on first use,
 * not at start-up (it was most of the start time; see bench/RESULTS.md).
 */
const RESULT_CACHE_SIZE = 256;
let generator: Promise<typeof import('./result-generator.js')> | undefined;
export const loadGenerator = () => (generator ??= import('./result-generator.js'));
import { sameSecret } from './secrets.js';

/**
 * The fake Pulse service, with no HTTP in it: the fastify app and the msw handlers are thin
 * adapters that turn a request into a call here and the answer (or PulseMockError) back into a
 * response. One core means both adapters share lifecycle, results, errors and events.
 */
export interface CoreOptions {
  seed: number;
  apiKey?: string;
  processingMs: number;
  queueMs: number;
  failureRate: number;
  maxJobs: number;
  asyncStatusCode: 200 | 202;
  outcomes: OutcomeRule[];
  documents: DocumentRule[];
}

/** What an adapter hands over for one extract call. */
export interface ExtractInput {
  fields: Record<string, unknown>;
  upload?: UploadedFile;
  /** Per-request controls from `x-pulse-mock-*` headers. */
  overrides?: OutcomeOverrides & { pages?: number };
  /** The URL the caller reached the mock at, for links in bodies. */
  baseUrl: string;
  /** Force async (the /extract_async route). */
  forceAsync?: boolean;
}

export interface CoreResponse<T = unknown> {
  status: number;
  body: T;
}

export interface AsyncSubmissionResponse {
  job_id: string;
  status: 'pending';
  message: string;
  queuedAt: string;
  credits_used: number;
}

export interface JobStatusResponse {
  job_id: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
  result?: ExtractResult | LargeResultPointer;
  error?: string;
}

interface LiveJob {
  timer?: Timer;
}

export class PulseCore {
  readonly jobs: JobStore;
  readonly #documents: DocumentCatalog;
  readonly #outcomes: OutcomePlanner;
  readonly #ids: IdSequence;
  readonly #listeners = new Set<JobEventListener>();
  readonly #live = new Map<string, LiveJob>();
  /** Large results of synchronous extracts, by id: generated once, served once. */
  readonly #syncLarge = new Map<string, { fetched: boolean; produce: () => ExtractResult }>();
  readonly #results = new Map<string, ExtractResult>();
  #closed = false;
  /**
   * Called before an async job is accepted; a returned promise holds the submission until it
   * settles (the runtime uses it to let deliveries catch up, see `maxBacklog`).
   */
  beforeSubmit?: () => Promise<void> | undefined;

  constructor(
    readonly options: CoreOptions,
    readonly clock: Clock,
    /** Distinguishes runs that share a seed and a state file, so ids never repeat across restarts. */
    idSalt = 0,
  ) {
    this.jobs = new JobStore(options.maxJobs);
    this.#documents = new DocumentCatalog(options.documents);
    this.#ids = new IdSequence(`${options.seed}/ids/${idSalt}`);
    this.#outcomes = new OutcomePlanner(
      options.outcomes,
      { processingMs: options.processingMs, failureRate: options.failureRate },
      new SeededRandom(seedFrom(options.seed, 'outcomes')),
    );
  }

  /** Throws AUTH_001 / AUTH_002 unless `key` is acceptable. */
  authenticate(key: string | undefined): void {
    if (key === undefined || key.trim() === '') throw errors.missingApiKey();
    const expected = this.options.apiKey;
    if (expected === undefined) return;
    if (!sameSecret(key, expected)) throw errors.invalidApiKey();
  }

  onEvent(listener: JobEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async extract(input: ExtractInput): Promise<CoreResponse<ExtractResult | LargeResultPointer | AsyncSubmissionResponse>> {
    const req = normalizeExtractRequest(input.fields, input.upload);
    if (input.forceAsync || req.async) {
      const wait = this.beforeSubmit?.();
      if (wait) await wait;
      return this.#submit(req, input);
    }
    const { generateExtraction } = await loadGenerator();

    const seed = this.#resultSeed(req);
    const doc = this.#documents.describe(req, this.options.seed, input.overrides?.pages);
    const id = this.#ids.next();
    const produce = () => generateExtraction(req, doc, { seed, extractionId: id });
    if (doc.pages.length >= LARGE_DOCUMENT_PAGES) {
      // The body is generated when the one-time URL is fetched, not now.
      this.#rememberSyncLarge(id, produce);
      return { status: 200, body: largeResultPointer(req, doc, id, `${input.baseUrl}/large_results/${id}`) };
    }
    return { status: 200, body: produce() };
  }

  async getJob(jobId: string, baseUrl: string): Promise<CoreResponse<JobStatusResponse>> {
    const job = this.#require(jobId);
    const body: JobStatusResponse = {
      job_id: job.id,
      status: job.status,
      created_at: iso(job.createdAt),
      updated_at: iso(job.updatedAt),
    };
    if (job.status === 'completed') {
      body.result =
        job.document.pages.length >= LARGE_DOCUMENT_PAGES
          ? largeResultPointer(job.request, job.document, job.extractionId, `${baseUrl}/large_results/${job.id}`)
          : await this.#resultOf(job, baseUrl);
    }
    if (job.status === 'failed') body.error = job.error ?? 'Job failed.';
    return { status: 200, body };
  }

  cancelJob(jobId: string): CoreResponse<{ job_id: string; message: string }> {
    const job = this.#require(jobId);
    if (TERMINAL_STATUSES.has(job.status)) {
      return { status: 200, body: { job_id: job.id, message: `Job is already ${job.status}; it was left unchanged.` } };
    }
    this.#live.get(job.id)?.timer?.cancel();
    this.#live.delete(job.id);
    this.#transition(job, 'canceled', 'job.cancelled');
    return { status: 200, body: { job_id: job.id, message: 'Job cancelled successfully' } };
  }

  /** `GET /large_results/{id}`: the full body, once; then 410. */
  async getLargeResult(id: string, baseUrl: string): Promise<CoreResponse<ExtractResult>> {
    const sync = this.#syncLarge.get(id);
    if (sync) {
      if (sync.fetched) throw errors.largeResultGone(id);
      sync.fetched = true;
      return { status: 200, body: sync.produce() };
    }
    const job = this.jobs.get(id);
    if (!job || job.status !== 'completed' || job.document.pages.length < LARGE_DOCUMENT_PAGES) throw errors.largeResultNotFound(id);
    if (job.largeResultFetched) throw errors.largeResultGone(id);
    job.largeResultFetched = true;
    return { status: 200, body: await this.#resultOf(job, baseUrl) };
  }

  webhookLink(baseUrl: string, token: string): CoreResponse<{ link: string }> {
    return { status: 200, body: { link: `${baseUrl}/portal?token=${encodeURIComponent(token)}` } };
  }

  /** Puts back a job read from the state file and resumes its lifecycle where the clock says it is. */
  restoreJob(job: JobRecord): void {
    this.jobs.add(job);
    const now = this.clock.now();
    if (job.status === 'pending') {
      this.#schedule(job, Math.max(0, job.createdAt + this.options.queueMs - now), () => this.#startProcessing(job));
    } else if (job.status === 'processing') {
      this.#schedule(job, Math.max(0, job.updatedAt + job.processingMs - now), () => this.#finishJob(job));
    }
  }

  /** Stops every job timer; jobs keep the status they had. */
  close(): void {
    this.#closed = true;
    for (const live of this.#live.values()) live.timer?.cancel();
    this.#live.clear();
  }

  #submit(req: ReturnType<typeof normalizeExtractRequest>, input: ExtractInput): CoreResponse<AsyncSubmissionResponse> {
    const now = this.clock.now();
    const candidates = [req.fileName, req.source.kind === 'url' ? req.source.url : req.fileName];
    const plan = this.#outcomes.plan(candidates, input.overrides);
    const doc = this.#documents.describe(req, this.options.seed, input.overrides?.pages ?? plan.pages);
    const id = this.#ids.next();
    const job: JobRecord = {
      id,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      request: req,
      document: doc,
      plannedOutcome: plan.outcome,
      ...(plan.error !== undefined ? { plannedError: plan.error } : {}),
      processingMs: plan.processingMs,
      outcomeReason: plan.reason,
      extractionId: this.#ids.next(),
      largeResultFetched: false,
    };
    this.jobs.add(job);
    this.#emit('job.created', job);
    this.#schedule(job, this.options.queueMs, () => this.#startProcessing(job));
    return {
      status: this.options.asyncStatusCode,
      body: { job_id: id, status: 'pending', message: 'Job queued for processing', queuedAt: iso(now), credits_used: 0 },
    };
  }

  #startProcessing(job: JobRecord): void {
    this.#transition(job, 'processing', 'job.processing');
    this.#schedule(job, job.processingMs, () => this.#finishJob(job));
  }

  #finishJob(job: JobRecord): void {
    this.#live.delete(job.id);
    if (job.plannedOutcome === 'failed') {
      job.error = job.plannedError ?? 'Job failed.';
      this.#transition(job, 'failed', 'job.failed');
    } else this.#transition(job, 'completed', 'job.completed');
  }

  #schedule(job: JobRecord, ms: number, fn: () => void): void {
    if (this.#closed) return;
    const live = this.#live.get(job.id) ?? {};
    live.timer = this.clock.setTimeout(fn, ms);
    this.#live.set(job.id, live);
  }

  #transition(job: JobRecord, status: JobStatus, type: JobEventType): void {
    job.status = status;
    job.updatedAt = this.clock.now();
    if (TERMINAL_STATUSES.has(status)) this.jobs.settled(job);
    this.#emit(type, job);
  }

  #emit(type: JobEventType, job: JobRecord): void {
    const event: JobEvent = jobEvent(
      type,
      {
        id: job.id,
        status: job.status,
        createdAt: job.createdAt,
        pagesProcessed: job.status === 'completed' ? job.document.pages.length : 0,
        ...(job.error !== undefined ? { error: job.error } : {}),
      },
      this.clock.now(),
    );
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break the job lifecycle; the listener owns its errors.
      }
    }
  }

  /**
   * A finished job's body is a pure function of the job, so it is generated on first read and
   * kept in a small LRU: clients poll a completed job many times, and memory stays bounded.
   */
  async #resultOf(job: JobRecord, baseUrl: string): Promise<ExtractResult> {
    const key = `${job.id} ${baseUrl}`;
    const hit = this.#results.get(key);
    if (hit) {
      this.#results.delete(key);
      this.#results.set(key, hit);
      return hit;
    }
    const { generateExtraction } = await loadGenerator();
    const result = generateExtraction(job.request, job.document, {
      // Derived here, not at submission: most jobs' results are never read.
      seed: this.#resultSeed(job.request),
      extractionId: job.extractionId,
      extractionUrl: `${baseUrl}/job/${job.id}`,
      jobId: job.id,
    });
    this.#results.set(key, result);
    if (this.#results.size > RESULT_CACHE_SIZE) this.#results.delete(this.#results.keys().next().value as string);
    return result;
  }

  /** The seed of a request's result body: the same request, the same body. */
  #resultSeed(req: ReturnType<typeof normalizeExtractRequest>): number {
    return seedFrom(this.options.seed, 'result', requestFingerprint(req));
  }

  #require(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (!job) throw errors.jobNotFound(jobId, { kept: this.options.maxJobs, evicted: this.jobs.evicted });
    return job;
  }

  #rememberSyncLarge(id: string, produce: () => ExtractResult): void {
    this.#syncLarge.set(id, { fetched: false, produce });
    // Bounded like the job store: the oldest pointer goes first.
    if (this.#syncLarge.size > Math.max(100, Math.floor(this.options.maxJobs / 10))) {
      const oldest = this.#syncLarge.keys().next().value;
      if (oldest !== undefined) this.#syncLarge.delete(oldest);
    }
  }
}

/** The parts of a request that decide its result body (not its id, not its timing). */
function requestFingerprint(req: ReturnType<typeof normalizeExtractRequest>): unknown {
  return {
    source: req.source.kind === 'upload' ? { sha256: req.source.file.sha256, name: req.source.file.filename } : req.source.url,
    pages: req.pages,
    model: req.model,
    structured: req.structured,
    chunking: req.chunking,
    html: req.returnHtml,
  };
}

/** Recent timestamps' ISO strings: under load many jobs share a millisecond, and each poll prints two. */
const recentIso: { ms: number; iso: string }[] = Array.from({ length: 256 }, () => ({ ms: -1, iso: '' }));
function iso(ms: number): string {
  const slot = recentIso[ms & 255] as { ms: number; iso: string };
  if (slot.ms !== ms) {
    slot.ms = ms;
    slot.iso = new Date(ms).toISOString();
  }
  return slot.iso;
}
