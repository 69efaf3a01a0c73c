/**
 * A small Pulse client as a user would write it with fetch: submit an async extraction, poll
 * until it finishes (retrying 429 and 5xx, honouring Retry-After), cancel. Unit-tested in
 * pulse-client.test.ts with pulse-mock's msw handlers.
 */
export class JobFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly reason: string,
  ) {
    super(`Pulse job ${jobId} failed: ${reason}`);
  }
}

export interface PulseJobsOptions {
  apiKey: string;
  baseUrl?: string;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class PulseJobs {
  readonly #o: Required<PulseJobsOptions>;

  constructor(o: PulseJobsOptions) {
    this.#o = {
      baseUrl: 'https://api.runpulse.com',
      pollMs: 250,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...o,
    };
  }

  async submit(fileUrl: string, schema?: object): Promise<string> {
    const res = await this.#request('POST', '/extract', {
      file_url: fileUrl,
      async: true,
      ...(schema ? { structured_output: { schema } } : {}),
    });
    return res.job_id as string;
  }

  async waitForResult(jobId: string, maxPolls = 100): Promise<Record<string, unknown>> {
    for (let i = 0; i < maxPolls; i++) {
      const job = await this.#request('GET', `/job/${encodeURIComponent(jobId)}`);
      if (job.status === 'completed') return job.result as Record<string, unknown>;
      if (job.status === 'failed') throw new JobFailedError(jobId, String(job.error));
      if (job.status === 'canceled') throw new JobFailedError(jobId, 'canceled');
      await this.#o.sleep(this.#o.pollMs);
    }
    throw new Error(`Pulse job ${jobId} did not finish after ${maxPolls} polls`);
  }

  async cancel(jobId: string): Promise<string> {
    return (await this.#request('DELETE', `/job/${encodeURIComponent(jobId)}`)).message as string;
  }

  async #request(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${this.#o.baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': this.#o.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.ok) return json;
      if ((res.status === 429 || res.status >= 500) && attempt < 4) {
        await this.#o.sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
        continue;
      }
      const error = json.error as { code?: string; message?: string } | undefined;
      throw new Error(
        `Pulse ${method} ${path} failed: ${res.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(),
      );
    }
  }
}
