import { BoundedMemo, deepFreeze } from './bounded-memo.js';
import type { Clock, Timer } from '../clock.js';
import { DocumentCatalog, type DocumentRule } from './documents.js';
import { errors } from './errors.js';
import {
  jobEvent,
  TERMINAL_STATUSES,
  type JobEvent,
  type JobEventListener,
  type JobEventType,
  type JobStatus,
} from './events.js';
import { JobStore, type JobFile, type JobRecord } from './job-store.js';
import { OutcomePlanner, type OutcomeOverrides, type OutcomeRule, type PlannedOutcome } from './outcomes.js';
import { IdSequence, SeededRandom, seedFrom } from './random.js';
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
  /** The `result` of a job still pending or processing, for kinds that report progress (a batch's items). */
  progress?(job: JobRecord<D>, baseUrl: string): Promise<JobResult> | JobResult;
  /**
   * One of the job's files, drawn again from its recipe (same job, same bytes): those it listed
   * when accepted (`listed`), or any its kind derives (a form's PDF, a figure's PNG, a schema
   * run's workbook). Undefined when the job has no such file; a kind may throw its own refusal
   * (a run not finished yet).
   */
  file?(
    job: JobRecord<D>,
    name: string,
    listed?: JobFile,
  ): Promise<JobFileBytes | undefined> | JobFileBytes | undefined;
  /** Told when one of its jobs is accepted, its own submission or another's child (a batch item). */
  accepted?(job: JobRecord<D>): void;
  /** Told when one of its jobs leaves the store, to drop what it derived from it (caches). */
  evicted?(job: JobRecord<D>): void;
}

/** A file's bytes, as the one file handler (`PulseCore.file`) serves them. */
export interface JobFileBytes {
  bytes: Uint8Array;
  contentType: string;
  /** Offered as the download's name (`content-disposition`). */
  downloadName?: string;
}

/** A job's `result`: what its kind makes (for an extract, the extraction or a large-result pointer). */
export type JobResult = object;

/** What an operation hands the core to accept an async job. */
export interface JobSubmission<D> {
  /** Names outcome rules match (file name, URL). */
  candidates: string[];
  overrides?: OutcomeOverrides;
  /** The job's recipe, page count and files, once its outcome is planned (a rule may set the pages). */
  build(plan: PlannedOutcome): JobContents<D>;
  /** Accepted as `processing` (a batch parent) instead of `pending`. */
  startAs?: 'pending' | 'processing';
  /**
   * Jobs run under this one (a batch's items), accepted with it. A job with children has no
   * processing time of its own: it ends, as its plan says, once every child has ended.
   */
  children?: { kind: string; submission: JobSubmission<unknown> }[];
  /** At most this many children run at once (a batch's `workers`); the others wait, `pending`. */
  workers?: number;
}

/** What a job holds besides its lifecycle. */
export interface JobContents<D> {
  data: D;
  pages: number;
  files?: Record<string, JobFile>;
}

/**
 * Told of jobs stored (`isNew`: a job with its children, in one call) and of each change of a
 * job's status: the `--state` journal's feed. `byRequest`: a request made the change and is still
 * waiting; the listener may throw to refuse it, and then nothing of it is applied.
 */
export type JobRecordListener = (jobs: readonly JobRecord[], isNew: boolean, byRequest: boolean) => void;

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
  /** Where a batch's `output.local_path` may write (`--output-dir`). */
  outputDir?: string;
  /** How many files a batch's `input.s3_prefix` stands for (`--s3-prefix-items`). */
  s3PrefixItems?: number;
  /** Saved configurations requests name by id (from the config file). */
  presets?: readonly { id: string; kind: string; [k: string]: unknown }[];
}

export interface CoreResponse<T = unknown> {
  status: number;
  /** JSON, or the bytes of a file (with its `content-type` in `headers`). */
  body: T;
  headers?: Record<string, string>;
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
  /** Sync calls' outcomes, from a stream of their own: they do not shift the seeded outcomes of async jobs. */
  readonly #syncOutcomes: OutcomePlanner;
  readonly #ids: IdSequence;
  readonly #kinds = new Map<string, JobKind>();
  /** Recently read results of completed jobs (see `#resultOf`): the one cache of results. */
  readonly #results = new BoundedMemo<Promise<object | undefined>>(256);
  readonly #listeners = new Set<JobEventListener>();
  readonly #recordListeners = new Set<JobRecordListener>();
  readonly #live = new Map<string, LiveJob>();
  /** Parent id -> its children's ids, in submission order. */
  /** Parent id -> how many of its children are processing now. */
  readonly #running = new Map<string, number>();
  /** Parent id -> children due to start, waiting for a free worker. */
  readonly #waiting = new Map<string, JobRecord[]>();
  /** Parents whose children are being cancelled with them. */
  readonly #canceling = new Set<string>();
  #closed = false;
  /**
   * Called before an async job is accepted; a returned promise holds the submission until it
   * settles (the runtime uses it to let deliveries catch up, see `maxBacklog`), and a throw
   * refuses it (past `maxPending`).
   */
  beforeSubmit?: () => Promise<void> | undefined;

  /** What each submitted document is: the rules (config, added while running, fixtures) and the pins. */
  readonly documents: DocumentCatalog;
  /** Rewrites a recorded body's ids to this run's (`--recordings`; the replayer's). */
  replayIds?: (recorded: unknown, fresh: unknown) => unknown;

  constructor(
    readonly options: CoreOptions,
    readonly clock: Clock,
    /** Distinguishes runs that share a seed and a state file, so ids never repeat across restarts. */
    idSalt = 0,
  ) {
    this.jobs = new JobStore(options.maxJobs);
    this.documents = new DocumentCatalog(options.documents);
    this.jobs.onEvict = (job) => {
      this.#kinds.get(job.kind)?.evicted?.(job);
    };
    this.#ids = new IdSequence(`${options.seed}/ids/${idSalt}`);
    this.#outcomes = new OutcomePlanner(
      options.outcomes,
      { processingMs: options.processingMs, failureRate: options.failureRate },
      new SeededRandom(seedFrom(options.seed, 'outcomes')),
    );
    this.#syncOutcomes = new OutcomePlanner(
      options.outcomes,
      { processingMs: 0, failureRate: options.failureRate },
      new SeededRandom(seedFrom(options.seed, 'outcomes/sync')),
    );
  }

  /** Makes a kind of job known: its jobs can be polled, and restored from `--state`. */
  register(kind: JobKind<never>): void {
    this.#kinds.set(kind.kind, kind);
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

  /** Every job stored, and each change of its status (sync jobs too, which have no events). */
  onRecord(listener: JobRecordListener): () => void {
    this.#recordListeners.add(listener);
    return () => this.#recordListeners.delete(listener);
  }

  /** Accepts an async job of `kind`: planned, stored, announced (`job.created`) and on its way. */
  async submit<D>(kind: string, s: JobSubmission<D>): Promise<CoreResponse<AsyncSubmissionResponse>> {
    const job = await this.accept(kind, s);
    return {
      status: this.options.asyncStatusCode,
      body: {
        job_id: job.id,
        status: 'pending',
        message: 'Job queued for processing',
        queuedAt: iso(job.createdAt),
        credits_used: 0,
      },
    };
  }

  /** Like `submit`, for an operation whose reply is its own (a batch's `{ batch_job_id, ... }`): the job accepted. */
  async accept<D>(kind: string, s: JobSubmission<D>): Promise<JobRecord<D>> {
    const wait = this.beforeSubmit?.();
    if (wait) await wait;
    return this.#accept(kind, s);
  }

  /**
   * Plans a synchronous call's outcome as an async job's would be (headers, rules, the failure
   * rate): a planned failure is thrown as a 400 (see `errors.syncFailed`), before anything is
   * stored. The plan's page count, when a rule sets one, is the caller's to apply.
   */
  planSync(candidates: readonly string[], overrides: OutcomeOverrides = {}): PlannedOutcome {
    const plan = this.#syncOutcomes.plan(candidates, overrides);
    if (plan.outcome === 'failed') throw errors.syncFailed(plan.error ?? 'Job failed.', plan.reason);
    return plan;
  }

  /**
   * Stores the job a synchronous call ran (a form's `pdf_url` names it): completed already, so
   * `GET /job/{id}` and its files work, with no `job.*` events (nothing was submitted to wait for).
   */
  recordSync<D>(kind: string, contents: JobContents<D>): JobRecord<D> {
    const now = this.clock.now();
    const job: JobRecord<D> = {
      id: this.#ids.next(),
      kind,
      status: 'completed',
      createdAt: now,
      updatedAt: now,
      plannedOutcome: 'completed',
      processingMs: 0,
      outcomeReason: 'synchronous call',
      pages: contents.pages,
      ...(contents.files ? { files: contents.files } : {}),
      data: contents.data,
    };
    this.#record([job], true, true);
    this.jobs.add(job);
    return job;
  }

  /** The children of a job, in submission order (those still kept). */
  childrenOf(parentId: string): JobRecord[] {
    return this.jobs.childrenOf(parentId);
  }

  /**
   * The one file handler: a job's file, by name, as its kind draws it, behind each of Pulse's
   * file paths (`/results/{jobId}/pdf`, `/results/{jobId}/images/{name}`, `/schema/{id}/excel`).
   * 404 for an unknown job (`idField` names the request's field for it) or a file it has not.
   */
  async file(jobId: string, name: string, idField?: string): Promise<CoreResponse<Uint8Array>> {
    const job = idField === undefined ? this.require(jobId) : this.jobs.get(jobId);
    if (!job) throw errors.notFoundById(idField as string, jobId);
    const listed = job.files && Object.hasOwn(job.files, name) ? job.files[name] : undefined;
    const file = await this.#kinds.get(job.kind)?.file?.(job, name, listed);
    if (!file) throw idField === undefined ? errors.fileNotFound(jobId, name) : errors.notFoundById(idField, jobId);
    return {
      status: 200,
      body: file.bytes,
      headers: {
        'content-type': file.contentType,
        ...(file.downloadName ? { 'content-disposition': `attachment; filename="${file.downloadName}"` } : {}),
      },
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
    const kind = this.#kinds.get(job.kind);
    if (job.status === 'completed' && kind) body.result = await this.#resultOf(kind, job, baseUrl);
    else if (!TERMINAL_STATUSES.has(job.status) && kind?.progress) body.result = await kind.progress(job, baseUrl);
    if (job.status === 'failed') body.error = job.error ?? 'Job failed.';
    return { status: 200, body };
  }

  /**
   * A completed job's result, made from its recipe on first read and kept for the next few:
   * clients poll a finished job again and again, and a result (a document's markdown and boxes,
   * a schema's values) was made anew for each poll. Frozen: every reader gets the same object.
   */
  #resultOf(kind: JobKind, job: JobRecord, baseUrl: string): Promise<object | undefined> {
    const key = `${job.id}\u0000${job.updatedAt}\u0000${baseUrl}`;
    const replay = job.replay;
    const rewrite = this.replayIds;
    return this.#results.get(key, () =>
      Promise.resolve(kind.result(job, baseUrl))
        // A replayed job answers its recording, with the ids this run made in place of the recorded ones.
        .then((fresh) => (replay && rewrite ? (rewrite(replay.result, fresh) as object) : fresh))
        .then(deepFreeze, (e: unknown) => {
          this.#results.delete(key);
          throw e;
        }),
    );
  }

  cancelJob(jobId: string): CoreResponse<{ job_id: string; message: string }> {
    const job = this.require(jobId);
    if (TERMINAL_STATUSES.has(job.status)) {
      return { status: 200, body: { job_id: job.id, message: `Job is already ${job.status}; it was left unchanged.` } };
    }
    this.#cancel(job);
    return { status: 200, body: { job_id: job.id, message: 'Job cancelled successfully' } };
  }

  /** Cancels a job and, first, its children that have not ended. */
  #cancel(job: JobRecord): void {
    if (job.workers !== undefined) {
      // Its waiting children must not start, nor its last child's end complete it, on the way.
      this.#waiting.delete(job.id);
      this.#canceling.add(job.id);
      for (const child of this.childrenOf(job.id)) if (!TERMINAL_STATUSES.has(child.status)) this.#cancel(child);
      this.#canceling.delete(job.id);
    }
    this.#transition(job, 'canceled', 'job.cancelled', true);
    this.#live.get(job.id)?.timer?.cancel();
    this.#live.delete(job.id);
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
      if (job.parentId !== undefined) this.#running.set(job.parentId, (this.#running.get(job.parentId) ?? 0) + 1);
      // A parent ends with its children: looked at once they are all back.
      if (job.workers !== undefined) this.#schedule(job, 0, () => this.#finishParentIfDone(job));
      else this.#schedule(job, Math.max(0, job.updatedAt + job.processingMs - now), () => this.#finishJob(job));
    }
    return true;
  }

  /** Stops every job timer; jobs keep the status they had. */
  close(): void {
    this.#closed = true;
    for (const live of this.#live.values()) live.timer?.cancel();
    this.#live.clear();
  }

  /** A saved configuration of `kind` named by a request's `field`, or a 404 naming the id (operations read it with `presetOf`). */
  preset(kind: string, field: string, id: string): Readonly<Record<string, unknown>> {
    const found = this.options.presets?.find((p) => p.kind === kind && p.id === id);
    if (!found) throw errors.notFoundById(field, id);
    return found;
  }

  /** The job, or JOB_NOT_FOUND (saying so when it was evicted). */
  require(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (!job) throw errors.jobNotFound(jobId, { kept: this.options.maxJobs, evicted: this.jobs.evicted });
    return job;
  }

  /** Plans, stores and announces a job and its children, and sets each on its way. */
  #accept<D>(kind: string, s: JobSubmission<D>): JobRecord<D> {
    const family: { job: JobRecord; submission: JobSubmission<unknown> }[] = [];
    const job = this.#plan(kind, s, family);
    // Journalled before anything is stored or announced: a refused write leaves no trace.
    this.#record(
      family.map((f) => f.job),
      true,
      true,
    );
    for (const f of family) {
      this.jobs.add(f.job);
      this.#kinds.get(f.job.kind)?.accepted?.(f.job);
      this.#emit('job.created', f.job);
    }
    for (const f of family) {
      if (f.job.status === 'processing') {
        this.#emit('job.processing', f.job);
        this.#process(f.job);
      } else this.#schedule(f.job, this.options.queueMs, () => this.#startProcessing(f.job));
    }
    return job;
  }

  /** A job's record and its children's, planned (outcome, pages, files) but not yet stored, appended to `family` parent first. */
  #plan<D>(
    kind: string,
    s: JobSubmission<D>,
    family: { job: JobRecord; submission: JobSubmission<unknown> }[],
    parentId?: string,
  ): JobRecord<D> {
    const now = this.clock.now();
    const plan = this.#outcomes.plan(s.candidates, s.overrides);
    const { data, pages, files } = s.build(plan);
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
      ...(parentId !== undefined ? { parentId } : {}),
      ...(s.children ? { workers: Math.max(1, s.workers ?? Number.POSITIVE_INFINITY) } : {}),
      ...(files ? { files } : {}),
      data,
    };
    // A parent's `workers` is journalled as JSON: no limit is a large number, not Infinity.
    if (job.workers === Number.POSITIVE_INFINITY) job.workers = Number.MAX_SAFE_INTEGER;
    family.push({ job, submission: s });
    for (const child of s.children ?? []) this.#plan(child.kind, child.submission, family, job.id);
    return job;
  }

  #startProcessing(job: JobRecord): void {
    if (job.parentId !== undefined) {
      // A child runs only in one of its parent's workers; the others wait their turn.
      const limit = this.jobs.get(job.parentId)?.workers ?? Number.POSITIVE_INFINITY;
      const running = this.#running.get(job.parentId) ?? 0;
      if (running >= limit) {
        const queue = this.#waiting.get(job.parentId);
        if (queue) queue.push(job);
        else this.#waiting.set(job.parentId, [job]);
        return;
      }
      this.#running.set(job.parentId, running + 1);
    }
    this.#transition(job, 'processing', 'job.processing');
    this.#process(job);
  }

  /** A processing job's way to its end: its own processing time, or (a parent) its children's. */
  #process(job: JobRecord): void {
    if (job.workers !== undefined) this.#finishParentIfDone(job);
    else this.#schedule(job, job.processingMs, () => this.#finishJob(job));
  }

  #finishParentIfDone(parent: JobRecord): void {
    if (parent.status !== 'processing' || this.#canceling.has(parent.id)) return;
    if (this.childrenOf(parent.id).every((c) => TERMINAL_STATUSES.has(c.status))) this.#finishJob(parent);
  }

  /** A child ended (or was cancelled): its worker goes to the next waiting child, and its parent may end. */
  #childEnded(child: JobRecord, wasProcessing: boolean): void {
    const parentId = child.parentId as string;
    const waiting = this.#waiting.get(parentId);
    if (waiting) {
      const at = waiting.indexOf(child);
      if (at >= 0) waiting.splice(at, 1);
    }
    if (wasProcessing) this.#running.set(parentId, Math.max(0, (this.#running.get(parentId) ?? 1) - 1));
    const next = waiting?.shift();
    if (waiting?.length === 0) this.#waiting.delete(parentId);
    if (next) this.#startProcessing(next);
    if ((this.#running.get(parentId) ?? 0) === 0) this.#running.delete(parentId);
    const parent = this.jobs.get(parentId);
    if (parent) this.#finishParentIfDone(parent);
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

  #transition(job: JobRecord, status: JobStatus, type: JobEventType, byRequest = false): void {
    const before = { status: job.status, updatedAt: job.updatedAt };
    const wasProcessing = job.status === 'processing';
    job.status = status;
    job.updatedAt = this.clock.now();
    try {
      this.#record([job], false, byRequest);
    } catch (e) {
      Object.assign(job, before); // refused: the job stays as it was
      throw e;
    }
    const ended = TERMINAL_STATUSES.has(status);
    if (ended) this.jobs.settled(job);
    this.#emit(type, job);
    if (ended && job.parentId !== undefined) this.#childEnded(job, wasProcessing);
  }

  #record(jobs: readonly JobRecord[], isNew: boolean, byRequest: boolean): void {
    for (const l of this.#recordListeners) l(jobs, isNew, byRequest);
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
