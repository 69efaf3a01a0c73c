import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config-error.js';
import { matchKey, pairIds, RECORDING_VERSION, replaceIds, type Recording } from './format.js';

/** A recording chosen for a request, and what its replayed job ends with. */
export interface ReplayPlan {
  recording: Recording;
  /** The body an answer (or a job's `result`) takes, ids still the recorded ones. */
  result: unknown;
  /** The job's recorded end, when the recording saw one. */
  outcome?: { status: 'completed' | 'failed'; error?: string };
}

/**
 * Serves recorded exchanges (`--recordings <dir>`). A request matches a recording on its method,
 * route and fields (spellings made canonical, ids mapped back to the recorded ones, an upload by
 * its sha256); repeats take the recordings of one request in order, and the last one repeats.
 * The answer is the recorded body with the ids the mock gave this time, so they chain.
 */
export class Replayer {
  readonly #byKey = new Map<string, Recording[]>();
  readonly #served = new Map<string, number>();
  /** Recorded id -> the id the mock gave in its place; and back. */
  readonly #fresh = new Map<string, string>();
  readonly #recorded = new Map<string, string>();

  constructor(
    recordings: readonly Recording[],
    /** Unmatched requests fail instead of falling back to generated results. */
    readonly strict = false,
  ) {
    for (const r of recordings) {
      const key = matchKey(r.request.method, r.request.route, r.request.fields, r.request.file);
      this.#byKey.set(key, [...(this.#byKey.get(key) ?? []), r]);
    }
  }

  get size(): number {
    return [...this.#byKey.values()].reduce((n, rs) => n + rs.length, 0);
  }

  /** A replayer of every recording in `dir`. */
  static load(dir: string, strict = false): Replayer {
    return new Replayer(Replayer.recordingsIn(dir), strict);
  }

  /** Every `*.json` recording in `dir`, in file name order (the order they were recorded in); one that is not is a ConfigError. */
  static recordingsIn(dir: string): Recording[] {
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort();
    } catch (e) {
      throw new ConfigError(
        `invalid --recordings ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const recordings = files.map((f) => {
      let r: Recording;
      try {
        r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recording;
      } catch (e) {
        throw new ConfigError(`invalid recording ${join(dir, f)}: ${(e as Error).message}`);
      }
      if (r?.version !== RECORDING_VERSION || !r.request?.route || !r.response)
        throw new ConfigError(
          `invalid recording ${join(dir, f)}: not a pulse-mock recording of version ${RECORDING_VERSION} (got version ${JSON.stringify(r?.version)})`,
        );
      return r;
    });
    return recordings;
  }

  /** The recording a request replays, if one matches. */
  match(
    method: string,
    route: string,
    fields: Record<string, unknown>,
    file: { sha256: string } | undefined,
  ): ReplayPlan | undefined {
    const key = matchKey(method, route, fields, file, (id) => this.#recorded.get(id) ?? id);
    const list = this.#byKey.get(key);
    if (!list?.length) return undefined;
    const n = this.#served.get(key) ?? 0;
    this.#served.set(key, n + 1);
    const recording = list[Math.min(n, list.length - 1)]!;
    const last = recording.lifecycle?.at(-1);
    const final = last?.body as { status?: string; result?: unknown; error?: string } | undefined;
    if (final && (last!.status === 'completed' || last!.status === 'failed'))
      return {
        recording,
        result: final.result,
        outcome: { status: last!.status, ...(final.error ? { error: final.error } : {}) },
      };
    return { recording, result: recording.response.body };
  }

  /**
   * `recorded` with the ids the mock gave: each id paired with the one at the same place in
   * `fresh` (what the mock made this time), and those paired before. The pairs are kept, so a
   * later request naming a fresh id matches the recording that named the recorded one.
   */
  rewrite(recorded: unknown, fresh: unknown): unknown {
    for (const [r, f] of pairIds(recorded, fresh)) {
      this.#fresh.set(r, f);
      this.#recorded.set(f, r);
    }
    return replaceIds(recorded, this.#fresh);
  }
}
