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
  #records: RequestRecord[] = [];
  readonly #listeners = new Set<(r: RequestRecord) => void>();

  constructor(private readonly max = 10_000) {}

  add(r: RequestRecord): void {
    this.#records.push(r);
    if (this.#records.length > this.max) this.#records.splice(0, this.#records.length - this.max);
    for (const l of this.#listeners) l(r);
  }

  list(filter: { route?: string; jobId?: string; method?: string; since?: number } = {}): RequestRecord[] {
    return this.#records.filter(
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
