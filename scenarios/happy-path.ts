import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'happy-path',
  description:
    'One async job: created, processing, completed are each acknowledged with a 2xx, the consumer fetches the job and (with an effects probe) records it completed, having acted',
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const ds = await ctx.waitForDeliveries({ jobId, count: 3 });
    ctx.expect(ds.length === 3, 'three events delivered', `got ${ds.length}`);
    for (const d of ds) ctx.expect(d.status === 'succeeded', `${d.eventType} acknowledged with a 2xx`, d.reason);
    const fetched = await ctx.waitForRequest((r) => r.route === 'poll' && r.jobId === jobId && r.status === 200, 5000);
    ctx.expect(
      fetched !== undefined,
      'the consumer fetched GET /job/{id} (treating the webhook as a notification)',
      `no GET /job/${jobId} on ${ctx.api.url} within 5 s`,
    );
    await ctx.expectRecorded(jobId, { status: 'completed', minActed: 1 });
  },
} satisfies Scenario;
