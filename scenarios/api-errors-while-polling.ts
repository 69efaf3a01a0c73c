import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'api-errors-while-polling',
  description: 'GET /job answers 429 (Retry-After), then 503, then works: the consumer retries and gets the job',
  realDelay: 'the consumer waits as Retry-After asks: 1 s after the 429 and 1 s after the 503',
  mock: {
    faults: [
      { fault: { kind: 'api-error', status: 429, retryAfterS: 1 }, scope: { routes: ['poll'] }, when: { nth: [1] } },
      { fault: { kind: 'api-error', status: 503, retryAfterS: 1 }, scope: { routes: ['poll'] }, when: { nth: [2] } },
    ],
  },
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const ds = await ctx.waitForDeliveries({ jobId, count: 3 });
    ctx.expect(
      ds.every((d) => d.status === 'succeeded'),
      'every event acknowledged with a 2xx, API errors or not',
    );
    const ok = await ctx.waitForRequest((r) => r.route === 'poll' && r.jobId === jobId && r.status === 200, 10_000);
    const seen = ctx.requests({ route: 'poll' }).map((r) => r.status);
    ctx.expect(
      ok !== undefined,
      'the consumer retried GET /job past the 429 and the 503',
      `polls answered: ${seen.join(', ') || 'none'}`,
    );
  },
} satisfies Scenario;
