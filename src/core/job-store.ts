import { EvictionOrder } from './eviction-order.js';
import { TERMINAL_STATUSES, type JobStatus } from './events.js';

/**
 * Everything the mock keeps about one job, whatever its kind: the lifecycle every Pulse job
 * shares (pending -> processing -> completed | failed | canceled) and the recipe its kind
 * regenerates the result from (`data`). No result body is kept.
 */
export interface JobRecord<D = unknown> {
  id: string;
  /** The operation that made it (`extract`, ...): the module that reads `data`. */
  kind: string;
  status: JobStatus;
  createdAt: number;
  updatedAt: number;
  plannedOutcome: 'completed' | 'failed';
  plannedError?: string;
  processingMs: number;
  outcomeReason: string;
  error?: string;
  /** Pages a completed job reports processed (`pages_processed` in its events). */
  pages: number;
  /** The job this one runs under (a batch's children). */
  parentId?: string;
  /** At most this many of its children run at once (a batch's `workers`). */
  workers?: number;
  /**
   * Files that belong to the job or its result (a filled PDF, an xlsx, a figure's PNG), by name:
   * what they are, not their bytes, which the kind makes again on read. They go with the job.
   */
  files?: Record<string, JobFile>;
  /** The kind's recipe: its normalised request and what regenerates its result (JSON, journalled as is). */
  data: D;
  /** A recorded result this job answers with instead (`--recordings`), its ids the recorded ones. */
  replay?: { result: unknown };
}

/** A file of a job: its type and what its kind needs to draw it again (the bytes are not kept). */
export interface JobFile {
  contentType: string;
  recipe?: unknown;
}

/**
 * In-memory jobs in submission order, capped at `maxJobs`: past the cap the oldest finished
 * job is evicted (a running one never is), so a long soak stays flat in memory. A batch and its
 * children are one family: kept while the batch runs, evicted together once it has finished (a
 * child alone never is, or a running batch would lose its items and their counts).
 */
export class JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  /** Only jobs without a parent take part in eviction; children go with them. */
  readonly #eviction = new EvictionOrder(this.#jobs, (job) => TERMINAL_STATUSES.has(job.status));
  readonly #children = new Map<string, string[]>();
  #evicted = 0;
  /** Told of each evicted job, so what was derived from it (cached results, file bytes) goes too. */
  onEvict?: (job: JobRecord) => void;

  constructor(private readonly maxJobs: number) {}

  add(job: JobRecord): void {
    this.#jobs.set(job.id, job);
    if (job.parentId !== undefined) {
      const list = this.#children.get(job.parentId);
      if (list) list.push(job.id);
      else this.#children.set(job.parentId, [job.id]);
    } else if (TERMINAL_STATUSES.has(job.status)) this.#eviction.finished(job.id);
    if (this.#jobs.size > this.maxJobs) this.#evictOne();
  }

  /** Called when a job reaches a final status: from now on it (with its children) may be evicted. */
  settled(job: JobRecord): void {
    if (job.parentId !== undefined) return;
    this.#eviction.finished(job.id);
    if (this.#jobs.size > this.maxJobs) this.#evictOne();
  }

  /** The children of a job, in submission order. */
  childrenOf(parentId: string): JobRecord[] {
    return (this.#children.get(parentId) ?? []).flatMap((id) => this.#jobs.get(id) ?? []);
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  get size(): number {
    return this.#jobs.size;
  }

  get evicted(): number {
    return this.#evicted;
  }

  list(filter: { status?: JobStatus } = {}): JobRecord[] {
    const all = [...this.#jobs.values()];
    return filter.status ? all.filter((j) => j.status === filter.status) : all;
  }

  #evictOne(): void {
    const gone = this.#eviction.evictOldest();
    if (gone === undefined) return;
    for (const child of this.childrenOf(gone.id)) {
      this.#jobs.delete(child.id);
      this.#evicted++;
      this.onEvict?.(child);
    }
    this.#children.delete(gone.id);
    this.#evicted++;
    this.onEvict?.(gone);
  }
}
