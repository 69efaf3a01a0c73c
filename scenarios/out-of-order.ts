import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'out-of-order',
  description:
    'job.completed arrives before job.processing; both are acknowledged and (with an effects probe) the consumer still records the job completed',
  mock: { faults: [{ fault: { kind: 'reorder' }, scope: { eventTypes: ['job.processing'] } }] },
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const ds = await ctx.waitForDeliveries({ jobId, count: 3 });
    const order = [...ds].sort((a, b) => (a.attempts[0]?.at ?? 0) - (b.attempts[0]?.at ?? 0)).map((d) => d.eventType);
    ctx.expect(
      order.indexOf('job.completed') < order.indexOf('job.processing'),
      'job.completed was sent before job.processing',
      order.join(' -> '),
    );
    for (const d of ds) ctx.expect(d.status === 'succeeded', `${d.eventType} acknowledged with a 2xx`, d.reason);
    await ctx.expectRecorded(jobId, { status: 'completed' });
  },
} satisfies Scenario;
