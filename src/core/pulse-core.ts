import type { Clock, Timer } from '../clock.js';
import type { DocumentRule } from './documents.js';
import { errors } from './errors.js';
import { jobEvent, TERMINAL_STATUSES, type JobEvent, type JobEventListener, type JobEventType, type JobStatus } from './events.js';
import { JobStore, type JobRecord } from './job-store.js';
import { OutcomePlanner, type OutcomeOverrides, type OutcomeRule, type PlannedOutcome } from './outcomes.js';
import { IdSequence, SeededRandom, seedFrom } from './random.js';
import type { ExtractResult, LargeResultPointer } from './result-generator.js';
import { sameSecret } from './secrets.js';

/**
 * What a kind of job (an operation: extract, split, schema, ...) tells the core: how a
 * completed job's result is made again from its recipe. The lifecycle, cancel, eviction,
 * journal and events are the core's, the same for every kind.
 */
export interface JobKind<D = unknown> {
  kind: string;
  /** The `result` of `GET /job/{id}` for a completed job, regenerated from `job.data`. */
  result(job: JobRecord<D>, baseUrl: string): Promise<JobResult> | JobResult;
}

/** A completed job's result: for an extract, an `ExtractResult` or, for a large document, a `LargeResultPointer`. */
export type JobResult = ExtractResult | LargeResultPointer | Record<string, unknown>;

/** What an operation hands the core to accept an async job. */
export interface JobSubmission<D> {
  /** Names outcome rules match (file name, URL). */
  candidates: string[];
  overrides?: OutcomeOverrides;
  /** The job's recipe and page count, once its outcome is planned (a rule may set the pages). */
  build(plan: PlannedOutcome): { data: D; pages: number };
  /** Accepted as `processing` (a batch parent) instead of `pending`. */
  startAs?: 'pending' | 'processing';
  parentId?: string;
}

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
  result?: JobResult;
  error?: string;
}

interface LiveJob {
  timer?: Timer;
}

export class PulseCore {
  readonly jobs: JobStore;
  readonly #outcomes: OutcomePlanner;
  readonly #ids: IdSequence;
  readonly #kinds = new Map<string, JobKind>();
  readonly #listeners = new Set<JobEventListener>();
  readonly #live = new Map<string, LiveJob>();
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
    this.#ids = new IdSequence(`${options.seed}/ids/${idSalt}`);
    this.#outcomes = new OutcomePlanner(
      options.outcomes,
      { processingMs: options.processingMs, failureRate: options.failureRate },
      new SeededRandom(seedFrom(options.seed, 'outcomes')),
    );
  }

  /** Makes a kind of job known: its jobs can be polled, and restored from `--state`. */
  register(kind: JobKind<never>): void {
    this.#kinds.set(kind.kind, kind as JobKind);
  }

  /** A fresh id from the run's sequence (jobs, extractions, results). */
  newId(): string {
    return this.#ids.next();
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

  /** Accepts an async job of `kind`: planned, stored, announced (`job.created`) and on its way. */
  async submit<D>(kind: string, s: JobSubmission<D>): Promise<CoreResponse<AsyncSubmissionResponse>> {
    const wait = this.beforeSubmit?.();
    if (wait) await wait;
    const now = this.clock.now();
    const plan = this.#outcomes.plan(s.candidates, s.overrides);
    const { data, pages } = s.build(plan);
    const job: JobRecord<D> = {
      id: this.#ids.next(),
      kind,
      status: s.startAs ?? 'pending',
      createdAt: now,
      updatedAt: now,
      plannedOutcome: plan.outcome,
      ...(plan.error !== undefined ? { plannedError: plan.error } : {}),
      processingMs: plan.processingMs,
      outcomeReason: plan.reason,
      pages,
      ...(s.parentId !== undefined ? { parentId: s.parentId } : {}),
      data,
    };
    this.jobs.add(job);
    this.#emit('job.created', job);
    if (job.status === 'processing') {
      this.#emit('job.processing', job);
      this.#schedule(job, job.processingMs, () => this.#finishJob(job));
    } else this.#schedule(job, this.options.queueMs, () => this.#startProcessing(job));
    return {
      status: this.options.asyncStatusCode,
      body: { job_id: job.id, status: 'pending', message: 'Job queued for processing', queuedAt: iso(now), credits_used: 0 },
    };
  }

  async getJob(jobId: string, baseUrl: string): Promise<CoreResponse<JobStatusResponse>> {
    const job = this.require(jobId);
    const body: JobStatusResponse = {
      job_id: job.id,
      status: job.status,
      created_at: iso(job.createdAt),
      updated_at: iso(job.updatedAt),
    };
    if (job.status === 'completed') body.result = await this.#kinds.get(job.kind)?.result(job, baseUrl);
    if (job.status === 'failed') body.error = job.error ?? 'Job failed.';
    return { status: 200, body };
  }

  cancelJob(jobId: string): CoreResponse<{ job_id: string; message: string }> {
    const job = this.require(jobId);
    if (TERMINAL_STATUSES.has(job.status)) {
      return { status: 200, body: { job_id: job.id, message: `Job is already ${job.status}; it was left unchanged.` } };
    }
    this.#live.get(job.id)?.timer?.cancel();
    this.#live.delete(job.id);
    this.#transition(job, 'canceled', 'job.cancelled');
    return { status: 200, body: { job_id: job.id, message: 'Job cancelled successfully' } };
  }

  webhookLink(baseUrl: string, token: string): CoreResponse<{ link: string }> {
    return { status: 200, body: { link: `${baseUrl}/portal?token=${encodeURIComponent(token)}` } };
  }

  /**
   * Puts back a job read from the state file and resumes its lifecycle where the clock says it
   * is. False (the job is skipped) when its kind is not registered in this version.
   */
  restoreJob(job: JobRecord): boolean {
    if (!this.#kinds.has(job.kind)) return false;
    this.jobs.add(job);
    const now = this.clock.now();
    if (job.status === 'pending') {
      this.#schedule(job, Math.max(0, job.createdAt + this.options.queueMs - now), () => this.#startProcessing(job));
    } else if (job.status === 'processing') {
      this.#schedule(job, Math.max(0, job.updatedAt + job.processingMs - now), () => this.#finishJob(job));
    }
    return true;
  }

  /** Stops every job timer; jobs keep the status they had. */
  close(): void {
    this.#closed = true;
    for (const live of this.#live.values()) live.timer?.cancel();
    this.#live.clear();
  }

  /** The job, or JOB_NOT_FOUND (saying so when it was evicted). */
  require(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (!job) throw errors.jobNotFound(jobId, { kept: this.options.maxJobs, evicted: this.jobs.evicted });
    return job;
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
        pagesProcessed: job.status === 'completed' ? job.pages : 0,
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
