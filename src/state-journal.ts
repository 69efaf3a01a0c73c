import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JobRecord } from './core/job-store.js';
import type { JobStatus } from './core/events.js';
import type { Endpoint } from './delivery/endpoints.js';
import type { Delivery } from './delivery/types.js';

/**
 * `--state FILE`: an append-only journal (JSON lines) of jobs, endpoints (with secrets) and
 * deliveries. Every change is appended synchronously, so a `kill -9` loses nothing the mock had
 * acknowledged; at start the file is replayed (a torn last line is skipped), then rewritten as a
 * compact snapshot. No server and no native module needed.
 */
type Entry =
  | { k: 'start'; n: number }
  | { k: 'job'; job: JobRecord }
  | { k: 'job-status'; id: string; status: JobStatus; updatedAt: number; error?: string }
  | { k: 'endpoint'; ep: Endpoint }
  | { k: 'endpoint-del'; id: string }
  | { k: 'delivery'; d: Delivery };

export interface RestoredState {
  /** How many times the mock has started on this file before (0 for a new file). */
  starts: number;
  jobs: JobRecord[];
  endpoints: Endpoint[];
  deliveries: Delivery[];
  /** Lines that could not be read (a write torn by a crash). */
  skipped: number;
  /** Jobs of a kind this version does not register: kept in the file, not run (set by the runtime). */
  unknownKindJobs?: number;
}

/** Records from before jobs had kinds (0.1.x) were all extracts, with the recipe at the top level. */
function withKind(job: JobRecord): JobRecord {
  if (job.kind !== undefined) return job;
  const { request, document, extractionId, largeResultFetched, ...rest } = job as unknown as JobRecord & Record<string, unknown>;
  const pages = (document as { pages?: unknown[] } | undefined)?.pages?.length ?? 0;
  return { ...rest, kind: 'extract', pages, data: { request, document, extractionId, largeResultFetched } } as JobRecord;
}

export class StateJournal {
  private constructor(private readonly path: string) {}

  static open(path: string): { journal: StateJournal; restored: RestoredState } {
    const jobs = new Map<string, JobRecord>();
    const endpoints = new Map<string, Endpoint>();
    const deliveries = new Map<string, Delivery>();
    let starts = 0;
    let skipped = 0;
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let e: Entry;
        try {
          e = JSON.parse(line) as Entry;
        } catch {
          skipped++;
          continue;
        }
        if (e.k === 'start') starts = Math.max(starts, e.n);
        else if (e.k === 'job') jobs.set(e.job.id, withKind(e.job));
        else if (e.k === 'job-status') {
          const j = jobs.get(e.id);
          if (j) Object.assign(j, { status: e.status, updatedAt: e.updatedAt }, e.error !== undefined ? { error: e.error } : {});
        } else if (e.k === 'endpoint') endpoints.set(e.ep.id, e.ep);
        else if (e.k === 'endpoint-del') endpoints.delete(e.id);
        else if (e.k === 'delivery') deliveries.set(e.d.key, e.d);
      }
    }
    const restored: RestoredState = { starts, jobs: [...jobs.values()], endpoints: [...endpoints.values()], deliveries: [...deliveries.values()], skipped };
    // Compact: the snapshot replaces the history, written aside and renamed into place.
    const lines: Entry[] = [
      { k: 'start', n: starts + 1 },
      ...restored.endpoints.map((ep) => ({ k: 'endpoint' as const, ep })),
      ...restored.jobs.map((job) => ({ k: 'job' as const, job })),
      ...restored.deliveries.map((d) => ({ k: 'delivery' as const, d })),
    ];
    writeFileSync(`${path}.tmp`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    renameSync(`${path}.tmp`, path);
    return { journal: new StateJournal(path), restored };
  }

  job(job: JobRecord): void {
    this.#append({ k: 'job', job });
  }

  jobStatus(job: JobRecord): void {
    this.#append({ k: 'job-status', id: job.id, status: job.status, updatedAt: job.updatedAt, ...(job.error !== undefined ? { error: job.error } : {}) });
  }

  endpoint(id: string, ep: Endpoint | undefined): void {
    this.#append(ep ? { k: 'endpoint', ep } : { k: 'endpoint-del', id });
  }

  delivery(d: Delivery): void {
    this.#append({ k: 'delivery', d });
  }

  #append(e: Entry): void {
    appendFileSync(this.path, `${JSON.stringify(e)}\n`);
  }
}
