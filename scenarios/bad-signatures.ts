import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'bad-signatures',
  description: 'Every kind of bad signature is rejected with a 4xx; a valid one placed after invalid ones is accepted',
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const data = { job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 1.2 };
    for (const fault of ctx.badSignatures) {
      const r = await ctx.send('job.completed', data, { fault });
      const ok = r.status !== undefined && r.status >= 400 && r.status < 500;
      ctx.expect(
        ok,
        `${fault}: rejected with a 4xx`,
        r.status === undefined ? `no answer: ${r.error}` : `answered ${r.status}`,
      );
    }
    const r = await ctx.send('job.completed', data, { fault: 'valid-after-invalid' });
    ctx.expect(
      r.status !== undefined && r.status < 300 && r.status >= 200,
      'a valid signature after invalid ones is accepted',
      `answered ${r.status ?? r.error}`,
    );
  },
} satisfies Scenario;
