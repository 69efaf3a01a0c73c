import { unchecked } from './unchecked.js';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { systemClock, type Clock, type Timer } from './clock.js';
import { ConfigError } from './config.js';
import { errors } from './core/errors.js';
import type { JobRecord } from './core/job-store.js';
import type { JobStatus } from './core/events.js';
import type { Endpoint } from './delivery/endpoints.js';
import type { Delivery } from './delivery/types.js';

/**
 * `--state FILE`: an append-only journal (JSON lines) of jobs, endpoints (with secrets) and
 * deliveries. Every change is appended synchronously, so a `kill -9` loses nothing the mock had
 * acknowledged; at start the file is replayed (a torn or damaged line is skipped, counted, and
 * the file as it was is kept beside it), then rewritten as a compact snapshot, readable by its
 * owner only. A file that is not a journal is never overwritten.
 *
 * When a write fails: a change a request makes fails that request, with nothing applied
 * (`write`); a change with no request behind it (a timer's transition, a delivery's progress)
 * goes on in memory, the failure is reported once, and the journal retries by writing a whole
 * snapshot of the mock's state until the file takes it (`record`, `health`).
 */
export type JournalEntry =
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
  /** Lines that could not be read (a write torn by a crash, a damaged or wrongly shaped line). */
  skipped: number;
  /** Where the file as it was is kept when lines were skipped. */
  damagedCopy?: string;
  /** Jobs of a kind this version does not register: kept in the file, not run (set by the runtime). */
  unknownKindJobs?: number;
}

/** What the mock holds now: a snapshot of it replaces the file after a failed write. */
export interface JournalSnapshot {
  jobs: JobRecord[];
  endpoints: Endpoint[];
  deliveries: Delivery[];
}

export type JournalHealth = { ok: true } | { ok: false; error: string; since: number };

/** Records from before jobs had kinds (0.1.x) were all extracts, with the recipe at the top level. */
function withKind(job: JobRecord): JobRecord {
  if (job.kind !== undefined) return job;
  const legacy: Record<string, unknown> = { ...job };
  const { request, document, extractionId, largeResultFetched, ...rest } = legacy;
  const pages = (document as { pages?: unknown[] } | undefined)?.pages?.length ?? 0;
  // A record from a 0.1.x journal, read back as that version wrote it; the rest of the record is as now.
  return unchecked<JobRecord>({
    ...rest,
    kind: 'extract',
    pages,
    data: { request, document, extractionId, largeResultFetched },
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether a parsed line has the shape its `k` says: a line that does not is skipped like a torn one. */
function isEntry(e: unknown): e is JournalEntry {
  if (!isObject(e)) return false;
  switch (e.k) {
    case 'start':
      return isNumber(e.n);
    case 'job':
      return (
        isObject(e.job) &&
        isString(e.job.id) &&
        isString(e.job.status) &&
        isNumber(e.job.createdAt) &&
        isNumber(e.job.updatedAt)
      );
    case 'job-status':
      return isString(e.id) && isString(e.status) && isNumber(e.updatedAt);
    case 'endpoint':
      return (
        isObject(e.ep) &&
        isString(e.ep.id) &&
        isString(e.ep.url) &&
        Array.isArray(e.ep.secrets) &&
        isObject(e.ep.headers)
      );
    case 'endpoint-del':
      return isString(e.id);
    case 'delivery':
      return (
        isObject(e.d) &&
        isString(e.d.key) &&
        isString(e.d.messageId) &&
        isString(e.d.endpointId) &&
        isString(e.d.body) &&
        Array.isArray(e.d.attempts)
      );
    default:
      return false;
  }
}

/** The file must be absent, empty, or a journal (its first line is a `start` entry); anything else is the user's, never overwritten. */
function checkPath(path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    const folder = dirname(path);
    if (!existsSync(folder))
      throw new ConfigError(`--state ${path}: the folder ${folder} does not exist; create it or choose another path`);
    return '';
  }
  if (stat.isDirectory())
    throw new ConfigError(
      `--state ${path} is a folder; give a file path inside it (e.g. ${path.replace(/\/$/, '')}/pulse-mock.state)`,
    );
  const text = readFileSync(path, 'utf8');
  const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim();
  if (text.trim() === '') return '';
  let head: unknown;
  try {
    head = JSON.parse(first);
  } catch {
    head = undefined;
  }
  if (!isObject(head) || head.k !== 'start')
    throw new ConfigError(
      `--state ${path} is not a pulse-mock state file, and would be overwritten; give another path, or empty the file first`,
    );
  return text;
}

export class StateJournal {
  #health: JournalHealth = { ok: true };
  #retry?: Timer;
  #retryMs = 250;
  #starts: number;
  /** What the mock holds, for the snapshot that replaces the file after a failed write. */
  snapshot?: () => JournalSnapshot;
  /** One line for the log: the first failure, and the recovery. */
  onProblem?: (message: string) => void;

  private constructor(
    private readonly path: string,
    starts: number,
    /** Real time: retrying a write is about the disk, not the mock's (perhaps manual) clock. */
    private readonly clock: Clock = systemClock,
  ) {
    this.#starts = starts;
  }

  /** Reads the journal (ConfigError for a path it cannot or must not use) and rewrites it compacted. */
  static open(path: string): { journal: StateJournal; restored: RestoredState } {
    const text = checkPath(path);
    const jobs = new Map<string, JobRecord>();
    const endpoints = new Map<string, Endpoint>();
    const deliveries = new Map<string, Delivery>();
    let starts = 0;
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let e: unknown;
      try {
        e = JSON.parse(line);
      } catch {
        e = undefined;
      }
      if (!isEntry(e)) {
        skipped++;
        continue;
      }
      if (e.k === 'start') starts = Math.max(starts, e.n);
      else if (e.k === 'job') jobs.set(e.job.id, withKind(e.job));
      else if (e.k === 'job-status') {
        const j = jobs.get(e.id);
        if (j)
          Object.assign(
            j,
            { status: e.status, updatedAt: e.updatedAt },
            e.error !== undefined ? { error: e.error } : {},
          );
      } else if (e.k === 'endpoint') endpoints.set(e.ep.id, e.ep);
      else if (e.k === 'endpoint-del') endpoints.delete(e.id);
      else if (e.k === 'delivery') deliveries.set(e.d.key, e.d);
    }
    const restored: RestoredState = {
      starts,
      jobs: [...jobs.values()],
      endpoints: [...endpoints.values()],
      deliveries: [...deliveries.values()],
      skipped,
    };
    if (skipped > 0) {
      // Compaction drops what could not be read: the file as it was stays beside it.
      restored.damagedCopy = `${path}.damaged-${new Date(systemClock.now()).toISOString().replace(/[:.]/g, '-')}`;
      copyFileSync(path, restored.damagedCopy);
      chmodSync(restored.damagedCopy, 0o600);
    }
    const journal = new StateJournal(path, starts + 1);
    journal.#writeSnapshot(restored);
    return { journal, restored };
  }

  /** The journal's state for `GET /health`. */
  health(): JournalHealth {
    return this.#health;
  }

  /**
   * A change a request makes, written before it is applied: throws Pulse's 503 (nothing
   * written) when the file does not take it, so the request fails and changes nothing.
   */
  write(entries: JournalEntry[]): void {
    try {
      if (!this.#health.ok) this.#recover();
      this.#append(entries);
    } catch (e) {
      this.#failed(e);
      this.onProblem?.(
        `[pulse-mock] a request was refused: its change could not be written to --state ${this.path} (${(e as Error).message})`,
      );
      throw errors.stateWriteFailed(this.path, (e as Error).message);
    }
  }

  /**
   * A change with no request behind it, already applied in memory: never throws. When the file
   * does not take it, the journal is marked failing and a snapshot is retried until it does.
   */
  record(entries: JournalEntry[]): void {
    if (!this.#health.ok) return; // the next snapshot has it
    try {
      this.#append(entries);
    } catch (e) {
      this.#failed(e);
    }
  }

  /** Stops retrying (the mock is closing). */
  close(): void {
    this.#retry?.cancel();
    this.#retry = undefined;
  }

  #append(entries: JournalEntry[]): void {
    let text = '';
    for (const e of entries) text += `${JSON.stringify(e)}\n`;
    // One write for the lot: a job and its children land together or not at all.
    appendFileSync(this.path, text, { mode: 0o600 });
  }

  #failed(e: unknown): void {
    if (this.#health.ok) {
      this.#health = { ok: false, error: (e as Error).message, since: this.clock.now() };
      this.onProblem?.(
        `[pulse-mock] cannot write --state ${this.path} (${(e as Error).message}); the mock goes on in memory and retries; GET /health shows it`,
      );
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retry || !this.snapshot) return;
    this.#retry = this.clock.setTimeout(() => {
      this.#retry = undefined;
      try {
        this.#recover();
      } catch {
        this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
        this.#scheduleRetry();
      }
    }, this.#retryMs);
  }

  /** Replaces the file with a snapshot of what the mock holds now (throws if it cannot). */
  #recover(): void {
    if (!this.snapshot) throw new Error('no snapshot source');
    this.#writeSnapshot(this.snapshot());
    this.#health = { ok: true };
    this.#retryMs = 250;
    this.#retry?.cancel();
    this.#retry = undefined;
    this.onProblem?.(
      `[pulse-mock] --state ${this.path} is written again (a snapshot of everything the mock holds replaced it)`,
    );
  }

  /** The snapshot replaces the history: written aside, owner-only (it holds secrets), renamed into place. */
  #writeSnapshot(s: JournalSnapshot): void {
    const lines: JournalEntry[] = [
      { k: 'start', n: this.#starts },
      ...s.endpoints.map((ep) => ({ k: 'endpoint' as const, ep })),
      ...s.jobs.map((job) => ({ k: 'job' as const, job })),
      ...s.deliveries.map((d) => ({ k: 'delivery' as const, d })),
    ];
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}

/** The entries of a job change. */
export const jobEntries = (jobs: readonly JobRecord[], isNew: boolean): JournalEntry[] =>
  jobs.map((job) =>
    isNew
      ? { k: 'job', job }
      : {
          k: 'job-status',
          id: job.id,
          status: job.status,
          updatedAt: job.updatedAt,
          ...(job.error !== undefined ? { error: job.error } : {}),
        },
  );

export const endpointEntry = (id: string, ep: Endpoint | undefined): JournalEntry =>
  ep ? { k: 'endpoint', ep } : { k: 'endpoint-del', id };
