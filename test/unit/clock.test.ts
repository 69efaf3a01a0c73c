import { describe, expect, it, vi } from 'vitest';
import { ManualClock, scaledClock, SkippingClock, systemClock } from '../../src/clock.js';
import { report } from '../reliability/report.js';

describe('ManualClock', () => {
  it('fires timers in due order, including ones scheduled while advancing, and not before their time', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@200'), 200);
    clock.setTimeout(() => {
      fired.push('a@100');
      clock.setTimeout(() => fired.push('c@150'), 50);
    }, 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 120);
    cancelled.cancel();
    await clock.advance(149);
    expect(fired).toEqual(['a@100']);
    await clock.advance(100);
    expect(fired).toEqual(['a@100', 'c@150', 'b@200']);
    expect(clock.now()).toBe(249);
    expect(clock.pending).toBe(0);
  });
});

describe('scaledClock', () => {
  it('multiplies delays but keeps wall-clock time', async () => {
    vi.useFakeTimers();
    try {
      const clock = scaledClock(0.001);
      const fn = vi.fn();
      clock.setTimeout(fn, 300_000);
      vi.advanceTimersByTime(299);
      expect(fn).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fn).toHaveBeenCalledOnce();
      expect(clock.now()).toBe(Date.now());
    } finally {
      vi.useRealTimers();
    }
  });
  it('refuses a scale that is not positive', () => {
    expect(() => scaledClock(0)).toThrow(/> 0/);
  });
});

describe('systemClock', () => {
  it('follows vitest fake timers installed after import', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      expect(systemClock.now()).toBe(Date.parse('2030-01-01T00:00:00Z'));
      const fn = vi.fn();
      systemClock.setTimeout(fn, 1000);
      vi.advanceTimersByTime(1000);
      expect(fn).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('delays longer than Node timers take (about 24.8 days)', () => {
  const DAY = 86_400_000;
  it('a 26-day delay on the system clock fires after 26 days, not at once', async () => {
    vi.useFakeTimers();
    try {
      const fired = vi.fn();
      systemClock.setTimeout(fired, 26 * DAY);
      await vi.advanceTimersByTimeAsync(25 * DAY);
      expect(fired).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(DAY);
      expect(fired).toHaveBeenCalledOnce();
      report('attack', {
        probe: '26 one-day delay rules on one delivery (fired after 9 ms, TimeoutOverflowWarning)',
        result: 'the 26-day timer fires after 26 days: timers past 24.8 days are chained',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a day at --time-scale 30 (30 days of real time) is honoured, and cancel works at any step', async () => {
    vi.useFakeTimers();
    try {
      const fired = vi.fn();
      const never = vi.fn();
      scaledClock(30).setTimeout(fired, DAY);
      const t = scaledClock(30).setTimeout(never, DAY);
      await vi.advanceTimersByTimeAsync(29 * DAY);
      t.cancel();
      expect(fired).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(DAY);
      expect(fired).toHaveBeenCalledOnce();
      expect(never).not.toHaveBeenCalled();
      report('attack', {
        probe: '--time-scale above 24.8: a one-day retry at --time-scale 30',
        result: 'fires after 30 days of real time, cancellable at any step',
      });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('SkippingClock (the scenario runner and the check)', () => {
  const turns = async (n = 5) => {
    for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const timerOn = (clock: SkippingClock, ms: number, fired: string[], name: string) =>
    new Promise<void>((resolve) =>
      clock.setTimeout(() => {
        fired.push(name);
        resolve();
      }, ms),
    );

  it('skips to its timers, in due order, only while someone waits on it', async () => {
    const clock = new SkippingClock();
    const fired: string[] = [];
    const late = timerOn(clock, 60_000, fired, 'a minute');
    const soon = timerOn(clock, 30_000, fired, 'half a minute');
    await turns();
    expect(fired).toEqual([]); // nobody waits: mock time runs at wall speed
    const start = clock.now();
    await clock.drive(late);
    expect(fired).toEqual(['half a minute', 'a minute']);
    expect(clock.skippedMs).toBeGreaterThanOrEqual(59_000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(59_000);
    await soon;
  });

  it('does not skip while work is in flight, and resumes when it ends', async () => {
    const clock = new SkippingClock();
    const fired: string[] = [];
    const release = clock.hold();
    const done = clock.drive(timerOn(clock, 10_000, fired, 'retry'));
    await turns(10);
    expect(fired).toEqual([]);
    release();
    await done;
    expect(fired).toEqual(['retry']);
  });

  it('stops skipping past maxSkipMs, and counts the wait with nothing due as idle', async () => {
    const clock = new SkippingClock(1000);
    const fired: string[] = [];
    const far = timerOn(clock, 5000, fired, 'far');
    let stop!: () => void;
    const waiting = clock.drive(new Promise<void>((r) => (stop = r)));
    await turns(10);
    expect(fired).toEqual([]); // 5 s is more than it may skip: it waits for the wall
    expect(clock.skippedMs).toBe(0);
    stop();
    await waiting;

    const idle = new SkippingClock();
    let consumerDone!: () => void;
    const onConsumer = idle.drive(new Promise<void>((r) => (consumerDone = r)));
    await turns(5);
    await vi.waitFor(() => expect(idle.idleMs).toBeGreaterThan(0));
    consumerDone();
    await onConsumer;
    void far;
  });
});
