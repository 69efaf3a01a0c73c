/**
 * Job events: what happened to a job, as the webhook payloads Pulse documents (seed 004):
 * `{ "type": "job.completed", "timestamp": "...", "data": { "job_id", "status",
 * "pages_processed", "processing_time" } }`, with `data.error` on `job.failed`.
 * Kept free of HTTP and of the job store so the delivery engine depends on this alone.
 */
export const JOB_EVENT_TYPES = ['job.created', 'job.processing', 'job.completed', 'job.failed', 'job.cancelled'] as const;
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
  return {
    type,
    jobId: job.id,
    at,
    payload: {
      type,
      timestamp: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      data: {
        job_id: job.id,
        status: job.status,
        pages_processed: job.pagesProcessed,
        processing_time: Math.round((at - job.createdAt) / 10) / 100,
        ...(job.error !== undefined ? { error: job.error } : {}),
      },
    },
  };
}

export type JobEventListener = (event: JobEvent) => void;
