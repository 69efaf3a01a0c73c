import Denque from 'denque';
import type { Clock } from '../clock.js';

interface Lane<T> {
  active: number;
  /** A deque, not an array: a backlog of 100k deliveries made `Array#shift` the hot spot. */
  queue: Denque<T>;
}

/**
 * One lane per endpoint, each with at most `concurrency` attempts in flight and its own backlog,
 * so a slow endpoint only queues its own deliveries. `run` does one attempt; the lane takes the
 * next item when it settles. Also what the API's backpressure waits on (`roomFor`).
 */
export class EndpointLanes<T> {
  readonly #lanes = new Map<string, Lane<T>>();
  #roomWaiters: { below: number; resolve: () => void }[] = [];
  #closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly run: (item: T) => Promise<void>,
    /** An attempt that threw: a bug in the attempt itself, reported on the item. */
    private readonly onCrash: (item: T, error: unknown) => void,
    private readonly wallClock: Clock,
  ) {}

  push(endpointId: string, item: T): void {
    if (this.#closed) return;
    let lane = this.#lanes.get(endpointId);
    if (!lane) this.#lanes.set(endpointId, (lane = { active: 0, queue: new Denque() }));
    lane.queue.push(item);
    this.#pump(lane);
  }

  /**
   * How many deliveries are due and waiting for a free slot (not those in flight, nor those
   * waiting for a retry). It grows when events come faster than the endpoints take them.
   */
  get backlog(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.queue.length;
    return n;
  }

  /** Resolves once the backlog is under `below`, or after `timeoutMs` of real time, whichever is first. */
  roomFor(below: number, timeoutMs: number): Promise<void> {
    if (this.backlog < below || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { below, resolve: () => {} };
      const timer = this.wallClock.setTimeout(() => waiter.resolve(), timeoutMs);
      waiter.resolve = () => {
        timer.cancel();
        this.#roomWaiters = this.#roomWaiters.filter((w) => w !== waiter);
        resolve();
      };
      this.#roomWaiters.push(waiter);
    });
  }

  /** Takes no more items and lets every backpressure wait go. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#roomWaiters]) w.resolve();
  }

  #pump(lane: Lane<T>): void {
    while (lane.active < this.concurrency && lane.queue.length > 0) {
      const item = lane.queue.shift() as T;
      if (this.#roomWaiters.length > 0) this.#wakeRoomWaiters();
      lane.active++;
      const next = () => {
        lane.active--;
        this.#pump(lane);
      };
      this.run(item).then(next, (e: unknown) => {
        this.onCrash(item, e);
        next();
      });
    }
  }

  #wakeRoomWaiters(): void {
    const backlog = this.backlog;
    for (const w of this.#roomWaiters) if (backlog < w.below) w.resolve();
  }
}
