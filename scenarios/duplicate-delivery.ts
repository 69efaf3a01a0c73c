import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'duplicate-delivery',
  description:
    'job.completed arrives three times with the same webhook-id: every copy gets a 2xx, and (with an effects probe) the consumer acts no more than for a job delivered once',
  async run(ctx) {
    // A job delivered once: what one lifecycle makes the consumer do.
    const once = await ctx.submitJob();
    await ctx.waitForDeliveries({ jobId: once, count: 3 });
    const baseline = await ctx.effects(once);
    ctx.setFaults([
      { fault: { kind: 'duplicate', copies: 2, spacingMs: 100 }, scope: { eventTypes: ['job.completed'] } },
    ]);
    const jobId = await ctx.submitJob();
    await ctx.waitForDeliveries({ jobId, count: 3 });
    await ctx.sleep(400);
    const copies = ctx.deliveries({ jobId, eventType: 'job.completed' });
    ctx.expect(copies.length === 3, 'three copies sent with one webhook-id', `sent ${copies.length}`);
    for (const d of copies)
      ctx.expect(
        d.status === 'succeeded',
        `copy ${d.duplicateOf ? d.key.split('#')[1] : 'original'} acknowledged with a 2xx`,
        d.reason,
      );
    await ctx.expectRecorded(jobId, { status: 'completed', ...(baseline ? { maxActed: baseline.acted } : {}) });
    const polls = ctx.requests({ route: 'poll', jobId }).filter((r) => r.status === 200).length;
    ctx.log(
      `the consumer fetched the job ${polls} time(s) for 3 copies${polls > 1 ? ' (dedupe on webhook-id to fetch once)' : ''}`,
    );
  },
} satisfies Scenario;
