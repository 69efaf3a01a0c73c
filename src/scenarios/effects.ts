import { systemClock, wallDelay, withDeadline } from '../clock.js';

/**
 * What a consumer did about one job, as its effects probe reports it: the status it recorded
 * (or null) and how many times it acted on the job (a write, a charge, an email: whatever its
 * work is). Other fields are allowed and ignored.
 */
export interface ConsumerEffects {
  status: string | null;
  acted: number;
}

/**
 * How the check reads a consumer's effects: a URL template with `{job_id}` in it (the consumer
 * exposes it in test mode), or, in-process, a function.
 *
 * @example
 * // over HTTP: pulse-mock check --effects-url 'http://127.0.0.1:3000/_test/effects/{job_id}'
 * // in-process:
 * await runCheck({ target: POST, secret, effects: (jobId) => ({ status: db.status(jobId), acted: db.charges(jobId) }) });
 */
export type EffectsProbe = string | ((jobId: string) => ConsumerEffects | Promise<ConsumerEffects>);

/** A probe that answered something other than `{ status, acted }`. */
export class EffectsProbeError extends Error {
  override readonly name = 'EffectsProbeError';
}

const READ_TIMEOUT_MS = 2000;

/** One read of one job's effects; a 404 means the consumer knows nothing of the job. */
export function effectsReader(probe: EffectsProbe): (jobId: string) => Promise<ConsumerEffects> {
  if (typeof probe === 'function')
    return async (jobId) => {
      let got: unknown;
      try {
        got = await probe(jobId);
      } catch (e) {
        throw new EffectsProbeError(`the effects function threw: ${(e as Error).message}`);
      }
      return shaped(got, 'the effects function');
    };
  if (!probe.includes('{job_id}'))
    throw new EffectsProbeError(`[pulse-mock] the effects URL must contain {job_id}, got "${probe}"`);
  return async (jobId) => {
    const url = probe.replaceAll('{job_id}', encodeURIComponent(jobId));
    const where = `GET ${url}`;
    const res = await withDeadline(
      READ_TIMEOUT_MS,
      fetch(url, { headers: { accept: 'application/json' } }),
      () => new EffectsProbeError(`${where} did not answer within ${READ_TIMEOUT_MS} ms`),
    ).catch((e: Error) => {
      throw e instanceof EffectsProbeError ? e : new EffectsProbeError(`${where} failed: ${e.message}`);
    });
    if (res.status === 404) return { status: null, acted: 0 };
    const text = await res.text();
    if (!res.ok) throw new EffectsProbeError(`${where} answered ${res.status}: ${text.slice(0, 120)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EffectsProbeError(`${where} answered something other than JSON: ${text.slice(0, 120)}`);
    }
    return shaped(json, where);
  };
}

function shaped(v: unknown, where: string): ConsumerEffects {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const status = o.status ?? null;
  if ((status !== null && typeof status !== 'string') || typeof o.acted !== 'number' || !(o.acted >= 0))
    throw new EffectsProbeError(
      `${where} must give { "status": <string or null>, "acted": <a count> }, got ${JSON.stringify(v)?.slice(0, 120)}`,
    );
  return { status, acted: o.acted };
}

/** One job's effects once they settled (or the cap came first). */
export interface SettledEffects {
  effects?: ConsumerEffects;
  /** Unchanged for the quiet period before the cap. */
  settled: boolean;
  /** When a read first saw `acted > 0` (at or after the act itself). */
  firstActSeenAt?: number;
  error?: string;
}

export interface SettleOptions {
  /** Settled: unchanged this long after the consumer's last answer (300 ms). */
  quietMs?: number;
  /** The longest wait after the last answer (3 s). */
  timeoutMs?: number;
  /** Between reads. */
  intervalMs?: number;
  /** The consumer's latest activity about a job besides its answers (its calls to the API, by the mock's log). */
  activityAt?: (jobId: string) => number;
}

/**
 * Reads each job's effects until they stop changing: a consumer that acknowledges first and
 * works after (as Pulse advises) has not acted yet when it answers. Settled means unchanged for
 * `quietMs` after the later of the last answer and the last change, within `timeoutMs` of the
 * last answer. The reads are the only way to see a consumer's store, so they are timed reads,
 * bounded in count by `timeoutMs / intervalMs`.
 */
export async function settleEffects(
  read: (jobId: string) => Promise<ConsumerEffects>,
  jobIds: readonly string[],
  lastAnswerAt: number,
  o: SettleOptions = {},
): Promise<Map<string, SettledEffects>> {
  const quietMs = o.quietMs ?? 300;
  const timeoutMs = o.timeoutMs ?? 3000;
  const intervalMs = o.intervalMs ?? 50;
  const out = new Map<string, SettledEffects & { key?: string; changedAt: number }>(
    jobIds.map((id) => [id, { settled: false, changedAt: lastAnswerAt }]),
  );
  const deadline = lastAnswerAt + timeoutMs;
  for (let round = 0; round <= Math.ceil(timeoutMs / intervalMs) + 1; round++) {
    const now = systemClock.now();
    await Promise.all(
      [...out].map(async ([id, s]) => {
        if (s.settled || s.error) return;
        try {
          const e = await read(id);
          const key = `${e.status}|${e.acted}`;
          if (key !== s.key) {
            s.key = key;
            s.changedAt = Math.max(now, lastAnswerAt);
          }
          s.effects = e;
          if (e.acted > 0 && s.firstActSeenAt === undefined) s.firstActSeenAt = now;
          // A consumer still calling the API about the job (a held or retried GET /job) is not done.
          const busy = Math.max(s.changedAt, o.activityAt?.(id) ?? 0);
          if (now - busy >= quietMs) s.settled = true;
        } catch (err) {
          s.error = (err as Error).message;
        }
      }),
    );
    if ([...out.values()].every((s) => s.settled || s.error) || systemClock.now() >= deadline) break;
    await wallDelay(intervalMs);
  }
  return new Map(
    [...out].map(([id, s]) => [
      id,
      {
        settled: s.settled,
        ...(s.effects ? { effects: s.effects } : {}),
        ...(s.firstActSeenAt !== undefined ? { firstActSeenAt: s.firstActSeenAt } : {}),
        ...(s.error !== undefined ? { error: s.error } : {}),
      },
    ]),
  );
}
