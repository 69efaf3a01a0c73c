import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  gradeCleanRun,
  gradeFinalState,
  gradeRepeats,
  lifecycle,
  sameStatus,
} from '../../src/scenarios/effect-checks.js';
import { effectsReader, settleEffects, type ConsumerEffects } from '../../src/scenarios/effects.js';
import { IN_PROCESS_URL, resolveTarget } from '../../src/scenarios/consumer-target.js';

const settled = (status: string | null, acted: number) => ({ settled: true, effects: { status, acted } });

describe('effect grading (pure)', () => {
  it('a clean run must act and record what GET /job says; acting nothing is critical', () => {
    expect(gradeCleanRun(settled('completed', 1), 'completed')).toMatchObject({ passed: true });
    expect(gradeCleanRun(settled('completed', 0), 'completed')).toMatchObject({
      passed: false,
      severity: 'critical',
      detail: expect.stringMatching(/never acted on a completed job/),
    });
    expect(gradeCleanRun(settled('processing', 1), 'completed')).toMatchObject({ severity: 'critical' });
    // A probe that could not be read is a set-up problem, not a bug of the consumer's.
    expect(gradeCleanRun({ settled: false, error: 'GET x answered 500' }, 'completed')).toMatchObject({
      passed: false,
      severity: 'warning',
    });
  });

  it('repeats may act as often as a clean run, not more', () => {
    expect(gradeRepeats('copies', settled('completed', 3), 'completed', 3).passed).toBe(true);
    expect(gradeRepeats('copies', settled('completed', 2), 'completed', 1)).toMatchObject({
      passed: false,
      severity: 'critical',
      detail: expect.stringMatching(/acted 2 times where one clean lifecycle acts 1 time: .*webhook-id/),
    });
  });

  it('a final state that came from the payload is told apart from one lost or moved back', () => {
    expect(gradeFinalState('forged', settled('failed', 1), 'failed', 'completed').passed).toBe(true);
    expect(gradeFinalState('forged', settled('completed', 1), 'failed', 'completed').detail).toMatch(
      /from the payload, but GET \/job says "failed"/,
    );
    expect(gradeFinalState('reversed', settled('processing', 1), 'completed')).toMatchObject({
      severity: 'critical',
      detail: expect.stringMatching(/never move a job back/),
    });
    expect(sameStatus('cancelled', 'canceled')).toBe(true);
    expect(sameStatus(null, 'canceled')).toBe(false);
  });

  it('a lifecycle is the events Pulse sends, in order, each with the job id', () => {
    expect(lifecycle('j1', 'cancelled').map(([t, d]) => [t, d.status, d.job_id])).toEqual([
      ['job.created', 'pending', 'j1'],
      ['job.processing', 'processing', 'j1'],
      ['job.cancelled', 'canceled', 'j1'],
    ]);
  });
});

describe('settleEffects', () => {
  afterEach(() => vi.useRealTimers());

  it('waits until the effects stop changing for the quiet period, bounded by the timeout', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    // The consumer acts 200 ms after its last answer (it acknowledged first).
    const read = async (): Promise<ConsumerEffects> =>
      Date.now() - start >= 200 ? { status: 'completed', acted: 1 } : { status: 'processing', acted: 0 };
    let doneAt = 0;
    const done = settleEffects(read, ['j1'], start, { quietMs: 300, timeoutMs: 3000, intervalMs: 50 }).finally(
      () => (doneAt = Date.now()),
    );
    await vi.advanceTimersByTimeAsync(3000);
    const s = (await done).get('j1')!;
    expect(s).toMatchObject({ settled: true, effects: { status: 'completed', acted: 1 } });
    expect(s.firstActSeenAt! - start).toBeGreaterThanOrEqual(200);
    // Settled 300 ms after the change, not at the timeout.
    expect(doneAt - start).toBeGreaterThanOrEqual(500);
    expect(doneAt - start).toBeLessThan(700);
  });

  it('gives the last reading, unsettled, when the consumer never stops changing', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    let n = 0;
    const done = settleEffects(async () => ({ status: 'processing', acted: n++ }), ['j1'], start, {
      timeoutMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect((await done).get('j1')).toMatchObject({ settled: false });
    expect(n).toBeLessThan(40);
  });

  it('checks what a probe answers: { status, acted }, a 404 as nothing recorded', async () => {
    const read = effectsReader(async (id) =>
      id === 'bad' ? ({ acted: 'many' } as never) : { status: null, acted: 0 },
    );
    await expect(read('j1')).resolves.toEqual({ status: null, acted: 0 });
    await expect(read('bad')).rejects.toThrow(/must give \{ "status": <string or null>, "acted": <a count> \}/);
    expect(() => effectsReader('http://127.0.0.1:1/effects')).toThrow(/must contain \{job_id\}/);
  });
});

describe('resolveTarget', () => {
  it('tells a URL, a fetch handler, an object with fetch and a Node listener apart', async () => {
    expect(resolveTarget('http://127.0.0.1:3000/hook')).toMatchObject({ inProcess: false });
    const handler = async (req: Request) => new Response(`got ${req.headers.get('webhook-id')}`, { status: 202 });
    const delivery = { url: IN_PROCESS_URL, headers: { 'webhook-id': 'msg_1' }, body: '{}', timeoutMs: 1000 };
    for (const target of [handler, { fetch: handler }]) {
      const t = resolveTarget(target);
      expect(t.label).toBe('a fetch handler (in-process)');
      expect(await t.transport(delivery)).toMatchObject({ status: 202, body: 'got msg_1' });
    }
    const listener = resolveTarget((req: { url?: string }, res: { statusCode: number; end(s: string): void }) => {
      res.statusCode = 204;
      res.end(req.url ?? '');
    });
    expect(listener.label).toBe('a Node request listener (in-process)');
    expect(await listener.transport(delivery)).toMatchObject({ status: 204 });
    // A handler that throws answers 500, as a framework would.
    const throwing = resolveTarget(async () => {
      throw new Error('boom');
    });
    expect(await throwing.transport(delivery)).toMatchObject({ status: 500, body: 'the handler threw Error: boom' });
    expect(() => resolveTarget(42 as never)).toThrow(/must be a webhook URL, a fetch handler/);
  });
});
