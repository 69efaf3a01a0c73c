/**
 * The one source of time for pulse-mock. Core and delivery code never call Date.now() or
 * setTimeout directly, so tests can swap in a manual clock and walk hours of retry schedule
 * in microseconds.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch, as this clock sees them (job timestamps, due times). */
  now(): number;
  /** Runs `fn` after `ms` of this clock's time. */
  setTimeout(fn: () => void, ms: number): Timer;
}

/**
 * Real time. Reads the globals at call time (not at import) so that vitest's fake timers
 * (`vi.useFakeTimers()`), installed after this module loads, still apply.
 * Timers are unref'd: a pending job never keeps a test process alive on its own.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => longTimeout(fn, ms, false),
};

/** The longest delay Node's timers take (about 24.8 days); a longer one fires at once, with a warning. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A real-time timer for any delay the mock accepts: delays past Node's limit are chained in
 * steps, so a stack of one-day delays, or a day at a large --time-scale, fires when it should.
 * `ref`: whether it keeps the process alive.
 */
function longTimeout(fn: () => void, ms: number, ref: boolean): Timer {
  let handle: ReturnType<typeof globalThis.setTimeout> | undefined;
  let left = Math.max(0, ms);
  const arm = () => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    handle = globalThis.setTimeout(left > 0 ? arm : fn, step);
    if (!ref) (handle as { unref?: () => void }).unref?.();
  };
  arm();
  return { cancel: () => globalThis.clearTimeout(handle) };
}

/**
 * Real wall-clock `now()`, but every delay multiplied by `scale` (0.001 turns 5 minutes into
 * 300 ms). Timestamps stay real because receivers check them against their own clocks.
 */
export function scaledClock(scale: number, base: Clock = systemClock): Clock {
  if (!(scale > 0)) throw new RangeError(`time scale must be > 0, got ${scale}`);
  return {
    now: () => base.now(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms * scale),
  };
}

interface ManualEntry {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer that falls due, in
 * due order, letting promises settle between timers so async chains behave as in real time.
 *
 * @example
 * const clock = new ManualClock();
 * const pulse = createPulseMsw({ clock, processingMs: 60_000 });
 * // ... submit an async job ...
 * await clock.advance(60_000); // the job completes now, and its webhooks go out
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualEntry[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry: ManualEntry = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      await flushMicrotasks();
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Advance just far enough to fire every timer that is pending now or scheduled meanwhile. */
  async runAll(limit = 10_000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      const next = this.#nextDue(Infinity);
      if (!next) return;
      await this.advance(Math.max(0, next.due - this.#now));
    }
  }

  #nextDue(limit: number): ManualEntry | undefined {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    return earliest(this.#timers, limit);
  }
}

/** The timer due first (the one set first among equals), none due after `limit`. */
function earliest(timers: readonly ManualEntry[], limit = Infinity): ManualEntry | undefined {
  let best: ManualEntry | undefined;
  for (const t of timers) {
    if (t.due > limit) continue;
    if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
  }
  return best;
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/**
 * Waits `ms` of wall time, keeping the process alive like the request it delays (an injected
 * API latency). Real time on purpose: a test's manual clock drives jobs, not its HTTP calls.
 */
export function wallDelay(ms: number): Promise<void> {
  return new Promise((resolve) => awaitedDeadline(resolve, ms));
}

/**
 * A real-time deadline for someone who awaits (`waitForJob`, `waitForDelivery`): unlike the
 * system clock's timers it keeps the process alive, so a script awaiting a job does not exit
 * before the job's own (unref'd) timers fire.
 */
export function awaitedDeadline(fn: () => void, ms: number): Timer {
  return longTimeout(fn, ms, true);
}

/** Starts a monotonic stopwatch; the function it returns gives the whole milliseconds since. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => Math.round(performance.now() - start);
}

/** `work`'s outcome, or a rejection with `onTimeout()` if `ms` of real time pass first. */
export function withDeadline<T>(ms: number, work: Promise<T>, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = awaitedDeadline(() => reject(onTimeout()), ms);
    work.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Mock time that runs at wall speed, and skips ahead to its next timer whenever someone waits
 * on it (`drive`) and nothing is in flight (`hold`): a scenario's job that processes for 300 ms,
 * or a retry due in 2 s, happens as soon as the mock and the consumer are idle, in the same
 * order as in real time. What a consumer does on its own clock (its Retry-After waits) is not
 * skipped. `now()` runs ahead of the wall by what was skipped, at most `maxSkipMs` in all (past
 * it, time runs at wall speed); signatures are timestamped by the wall clock, not this one.
 *
 * @example
 * const clock = new SkippingClock();
 * const server = await startFromOptions({ processingMs: 300 }, { clock });
 * await clock.drive(server.mock.waitForJob(jobId)); // done in milliseconds, not 300
 */
export class SkippingClock implements Clock {
  #skipped = 0;
  #seq = 0;
  #timers: ManualEntry[] = [];
  #real: ReturnType<typeof globalThis.setTimeout> | undefined;
  #busy = 0;
  #drivers = 0;
  #pumping = false;
  #idleSince: number | undefined;
  #idleMs = 0;

  constructor(private readonly maxSkipMs = 60_000) {}

  /**
   * Wall time spent driven with nothing in flight and no timer to skip to: waiting on what only
   * the consumer's own clock moves (its Retry-After waits, its work after answering).
   */
  get idleMs(): number {
    return this.#idleMs + (this.#idleSince !== undefined ? Date.now() - this.#idleSince : 0);
  }

  #wake(): void {
    if (this.#idleSince === undefined) return;
    this.#idleMs += Date.now() - this.#idleSince;
    this.#idleSince = undefined;
  }

  now(): number {
    return Date.now() + this.#skipped;
  }

  /** How far this clock has run ahead of the wall. */
  get skippedMs(): number {
    return this.#skipped;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry: ManualEntry = { due: this.now() + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(entry);
    this.#wake();
    this.#arm();
    this.#kick();
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Marks work in flight (a request to the consumer): no skip until the release it returns is called. */
  hold(): () => void {
    this.#wake();
    this.#busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy--;
      this.#kick();
    };
  }

  /** `work`'s outcome; while it is pending, time skips whenever nothing is in flight. */
  async drive<T>(work: Promise<T>): Promise<T> {
    this.#drivers++;
    this.#kick();
    try {
      return await work;
    } finally {
      this.#drivers--;
      if (this.#drivers === 0) this.#wake();
    }
  }

  #next(): ManualEntry | undefined {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    return earliest(this.#timers);
  }

  /** Fires every timer due by now, in due order. */
  #fireDue(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.#next();
      if (!next || next.due > this.now()) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      next.fn();
    }
    this.#arm();
  }

  /** One unref'd wall timer for the earliest timer: time still passes when nobody drives. */
  #arm(): void {
    if (this.#real !== undefined) globalThis.clearTimeout(this.#real);
    this.#real = undefined;
    const next = this.#next();
    if (!next) return;
    this.#real = globalThis.setTimeout(() => this.#fireDue(), Math.max(0, next.due - this.now()));
    (this.#real as { unref?: () => void }).unref?.();
  }

  #kick(): void {
    if (this.#pumping || this.#drivers === 0 || this.#busy > 0) return;
    this.#pumping = true;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (let guard = 0; guard < 1_000_000 && this.#drivers > 0; guard++) {
        // Idle: nothing in flight, and what the last timer started has had two turns of the
        // event loop to reach a timer or a request (which holds).
        for (let i = 0; i < 2; i++) await new Promise<void>((r) => setImmediate(r));
        if (this.#busy > 0 || this.#drivers === 0) return;
        const next = this.#next();
        if (!next) {
          this.#idleSince ??= Date.now();
          return;
        }
        const ahead = next.due - this.now();
        if (ahead > 0) {
          if (this.#skipped + ahead > this.maxSkipMs) return;
          this.#skipped += ahead;
        }
        this.#fireDue();
      }
    } finally {
      this.#pumping = false;
    }
  }
}
