import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'job-failed',
  description:
    'A job fails: job.failed (with data.error) is acknowledged, the consumer fetches the failed job and (with an effects probe) records it failed',
  async run(ctx) {
    const jobId = await ctx.submitJob({ outcome: 'failed', error: 'The document is password-protected.' });
    const ds = await ctx.waitForDeliveries({ jobId, count: 3 });
    const failed = ds.find((d) => d.eventType === 'job.failed');
    ctx.expect(failed?.status === 'succeeded', 'job.failed acknowledged with a 2xx', failed?.reason ?? 'not delivered');
    const fetched = await ctx.waitForRequest((r) => r.route === 'poll' && r.jobId === jobId && r.status === 200, 5000);
    ctx.expect(fetched !== undefined, 'the consumer fetched the failed job', `no GET /job/${jobId} within 5 s`);
    await ctx.expectRecorded(jobId, { status: 'failed' });
  },
} satisfies Scenario;
