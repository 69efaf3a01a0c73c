import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'job-cancelled',
  description: 'A job is cancelled while processing: job.cancelled is acknowledged',
  async run(ctx) {
    const jobId = await ctx.submitJob({ processingMs: 60_000 });
    await ctx.waitForDeliveries({ jobId, eventType: 'job.processing', count: 1 });
    await ctx.cancelJob(jobId);
    const [d] = await ctx.waitForDeliveries({ jobId, eventType: 'job.cancelled', count: 1 });
    ctx.expect(d?.status === 'succeeded', 'job.cancelled acknowledged with a 2xx', d?.reason ?? 'not delivered');
  },
} satisfies Scenario;
