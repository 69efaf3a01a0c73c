import Denque from 'denque';

/**
 * What clients asked the mock's API, newest last and bounded, so a scenario or a conformance
 * check can see what a consumer did (e.g. did it call GET /job/{id} after job.completed?).
 */
export interface RequestRecord {
  at: number;
  method: string;
  /** Pulse route name: extract, poll, cancel, webhook, large-results. */
  route: string;
  path: string;
  status: number;
  jobId?: string;
  ms: number;
  /** The API fault that answered or slowed this request, if any. */
  fault?: string;
}

export class RequestLog {
  // A deque: trimming an array with `splice(0, 1)` moved 10,000 elements on every request.
  readonly #records = new Denque<RequestRecord>();
  readonly #listeners = new Set<(r: RequestRecord) => void>();

  constructor(private readonly max = 10_000) {}

  add(r: RequestRecord): void {
    this.#records.push(r);
    while (this.#records.length > this.max) this.#records.shift();
    for (const l of this.#listeners) l(r);
  }

  list(filter: { route?: string; jobId?: string; method?: string; since?: number } = {}): RequestRecord[] {
    return this.#records
      .toArray()
      .filter(
        (r) =>
          (filter.route === undefined || r.route === filter.route) &&
          (filter.jobId === undefined || r.jobId === filter.jobId) &&
          (filter.method === undefined || r.method === filter.method) &&
          (filter.since === undefined || r.at >= filter.since),
      );
  }

  onRecord(listener: (r: RequestRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
