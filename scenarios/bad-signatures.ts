import type { Scenario } from '../src/scenarios/define.js';

/** What each bad signature is, as a consumer's author reads it in a failure. */
const SENT: Record<string, string> = {
  'wrong-secret': 'signed with another secret',
  'tampered-body': 'with its body changed after signing',
  'malformed-header': 'with the signature but no "v1," label',
  'missing-id': 'without webhook-id',
  'missing-timestamp': 'without webhook-timestamp',
  'missing-signature': 'without webhook-signature',
  'stale-timestamp': 'signed 10 minutes ago (a replay)',
  'future-timestamp': 'signed 10 minutes ahead',
  'unknown-version': 'with only a v2 signature',
  'non-numeric-timestamp': 'with a webhook-timestamp that is not a number',
  'partial-signature': 'with "v1," and no signature after it',
  'reserialized-body': 'with the signed JSON re-serialised',
};

export default {
  name: 'bad-signatures',
  description: 'Every kind of bad signature is rejected with a 4xx; a valid one placed after invalid ones is accepted',
  async run(ctx) {
    const jobId = await ctx.submitJob();
    const data = { job_id: jobId, status: 'completed', pages_processed: 1, processing_time: 1.2 };
    for (const fault of ctx.badSignatures) {
      const r = await ctx.send('job.completed', data, { fault });
      if (r.status === undefined && !/timeout/i.test(r.error ?? '')) {
        // Nothing answers: one finding, not one per kind.
        ctx.expect(
          false,
          'the consumer answers',
          `nothing answers at ${ctx.target} (${r.error}): start it, or check --target`,
        );
        return;
      }
      const ok = r.status !== undefined && r.status >= 400 && r.status < 500;
      const sent = `sent job.completed ${SENT[fault] ?? `(${fault})`}`;
      ctx.expect(
        ok,
        `${fault}: rejected with a 4xx`,
        r.status === undefined
          ? `${sent}; no answer: ${r.error}`
          : r.status < 300
            ? `${sent}; answered ${r.status}: it acted on a forgery. Verify the raw body with the svix or standardwebhooks library`
            : `${sent}; answered ${r.status}: reject with a 4xx (a 5xx is retried)`,
      );
    }
    const r = await ctx.send('job.completed', data, { fault: 'valid-after-invalid' });
    ctx.expect(
      r.status !== undefined && r.status < 300 && r.status >= 200,
      'a valid signature after invalid ones is accepted',
      `sent a header with two bad signatures, then a valid one; answered ${r.status ?? r.error}: check every space-separated "v1," entry`,
    );
  },
} satisfies Scenario;
