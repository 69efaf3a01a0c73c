import { EvictionOrder } from './eviction-order.js';
import { TERMINAL_STATUSES, type JobStatus } from './events.js';
import type { DocumentInfo } from './documents.js';
import type { ExtractRequest } from './extract-request.js';

/** Everything the mock keeps about one async job. The result itself is regenerated on demand. */
export interface JobRecord {
  id: string;
  status: JobStatus;
  createdAt: number;
  updatedAt: number;
  request: ExtractRequest;
  document: DocumentInfo;
  plannedOutcome: 'completed' | 'failed';
  plannedError?: string;
  processingMs: number;
  outcomeReason: string;
  extractionId: string;
  error?: string;
  /** Large documents: the one-time download was used. */
  largeResultFetched: boolean;
}

/**
 * In-memory jobs in submission order, capped at `maxJobs`: past the cap the oldest finished
 * job is evicted (a running one never is), so a long soak stays flat in memory.
 */
export class JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #eviction = new EvictionOrder(this.#jobs, (job) => TERMINAL_STATUSES.has(job.status));
  #evicted = 0;

  constructor(private readonly maxJobs: number) {}

  add(job: JobRecord): void {
    this.#jobs.set(job.id, job);
    if (TERMINAL_STATUSES.has(job.status)) this.#eviction.finished(job.id);
    if (this.#jobs.size > this.maxJobs) this.#evictOne();
  }

  /** Called when a job reaches a final status: from now on it may be evicted. */
  settled(job: JobRecord): void {
    this.#eviction.finished(job.id);
    if (this.#jobs.size > this.maxJobs) this.#evictOne();
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
    if (this.#eviction.evictOldest()) this.#evicted++;
  }
}
