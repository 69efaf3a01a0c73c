import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'stale-replay',
  description:
    'A message accepted once is replayed 10 minutes later (same id and body, correctly signed old timestamp): it must be rejected',
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const data = { job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 1 };
    const first = await ctx.send('job.completed', data);
    ctx.expect(
      first.status !== undefined && first.status >= 200 && first.status < 300,
      'the original is accepted',
      `answered ${first.status ?? first.error}`,
    );
    const replay = await ctx.send('job.completed', data, {
      messageId: first.messageId,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    ctx.expect(
      replay.status !== undefined && replay.status >= 400 && replay.status < 500,
      'the replay is rejected with a 4xx',
      `answered ${replay.status ?? replay.error}`,
    );
  },
} satisfies Scenario;
