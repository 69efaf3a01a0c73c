import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'job-cancelled',
  description:
    'A job is cancelled while processing: job.cancelled is acknowledged and (with an effects probe) the consumer records it canceled',
  async run(ctx) {
    const jobId = await ctx.submitJob({ processingMs: 60_000 });
    await ctx.waitForDeliveries({ jobId, eventType: 'job.processing', count: 1 });
    await ctx.cancelJob(jobId);
    const [d] = await ctx.waitForDeliveries({ jobId, eventType: 'job.cancelled', count: 1 });
    ctx.expect(d?.status === 'succeeded', 'job.cancelled acknowledged with a 2xx', d?.reason ?? 'not delivered');
    await ctx.expectRecorded(jobId, { status: 'canceled' });
  },
} satisfies Scenario;
