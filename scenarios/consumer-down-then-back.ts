import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'consumer-down-then-back',
  description:
    'The consumer is unreachable for 1.5 s (connections refused); retries deliver every message once it is back',
  async run(ctx) {
    await ctx.simulateOutage(1500);
    const jobId = await ctx.submitJob();
    const ds = await ctx.waitForDeliveries({ jobId, count: 3 }, 20_000);
    ctx.expect(ds.length === 3, 'every event reached a final state', `${ds.length} of 3`);
    for (const d of ds)
      ctx.expect(d.status === 'succeeded', `${d.eventType} delivered after ${d.attempts.length} attempt(s)`, d.reason);
    ctx.expect(
      ds.some((d) => d.attempts.length > 1),
      'at least one message needed a retry (the outage was real)',
    );
  },
} satisfies Scenario;
