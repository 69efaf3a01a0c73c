/**
 * Job events: what happened to a job, as the webhook payloads Pulse documents (seed 004):
 * `{ "type": "job.completed", "timestamp": "...", "data": { "job_id", "status",
 * "pages_processed", "processing_time" } }`, with `data.error` on `job.failed`.
 * Kept free of HTTP and of the job store so the delivery engine depends on this alone.
 */
export const JOB_EVENT_TYPES = [
  'job.created',
  'job.processing',
  'job.completed',
  'job.failed',
  'job.cancelled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'processing', 'completed', 'failed', 'canceled'];
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'canceled']);

export interface JobEventPayload {
  type: JobEventType;
  timestamp: string;
  data: {
    job_id: string;
    status: JobStatus;
    pages_processed: number;
    /** Seconds from submission to this event. */
    processing_time: number;
    error?: string;
  };
}

export interface JobEvent {
  type: JobEventType;
  jobId: string;
  /** Clock time of the transition (ms). */
  at: number;
  payload: JobEventPayload;
}

export function jobEvent(
  type: JobEventType,
  job: { id: string; status: JobStatus; createdAt: number; pagesProcessed: number; error?: string },
  at: number,
): JobEvent {
  return new LazyJobEvent(type, job.id, at, job.status, job.pagesProcessed, job.createdAt, job.error);
}

/** A job event whose payload is built when first read: with no endpoint listening (most API-only use) nobody reads it. */
class LazyJobEvent implements JobEvent {
  #payload: JobEventPayload | undefined;

  constructor(
    readonly type: JobEventType,
    readonly jobId: string,
    readonly at: number,
    private readonly status: JobStatus,
    private readonly pagesProcessed: number,
    private readonly createdAt: number,
    private readonly error: string | undefined,
  ) {}

  get payload(): JobEventPayload {
    return (this.#payload ??= {
      type: this.type,
      timestamp: new Date(this.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      data: {
        job_id: this.jobId,
        status: this.status,
        pages_processed: this.pagesProcessed,
        processing_time: Math.round((this.at - this.createdAt) / 10) / 100,
        ...(this.error !== undefined ? { error: this.error } : {}),
      },
    });
  }

  /** Serialises like a plain event (the payload lives on a getter). */
  toJSON(): { type: JobEventType; jobId: string; at: number; payload: JobEventPayload } {
    return { type: this.type, jobId: this.jobId, at: this.at, payload: this.payload };
  }
}

export type JobEventListener = (event: JobEvent) => void;
