import type { Scenario } from '../src/scenarios/define.js';

export default {
  name: 'burst-500-jobs',
  description: '500 jobs at once: all 1500 events are acknowledged',
  timeoutMs: 120_000,
  mock: { processingMs: 200, queueMs: 20 },
  async run(ctx) {
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 50)
      ids.push(...(await Promise.all(Array.from({ length: 50 }, () => ctx.submitJob()))));
    ctx.expect(new Set(ids).size === 500, '500 jobs accepted');
    const ds = await ctx.waitForDeliveries({ count: 1500 }, 90_000);
    ctx.expect(ds.length === 1500, 'all 1500 events reached a final state', `${ds.length} of 1500`);
    const failed = ds.filter((d) => d.status !== 'succeeded');
    ctx.expect(
      failed.length === 0,
      'every event acknowledged with a 2xx',
      failed
        .slice(0, 3)
        .map((d) => `${d.eventType}: ${d.reason}`)
        .join('; '),
    );
  },
} satisfies Scenario;
