import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import type { JobKind, PulseCore } from '../../src/core/pulse-core.js';
import { createRuntime } from '../../src/runtime.js';
import { json, testApp } from '../helpers.js';

/** A kind of job that is not extract: what the coming operations (split, schema, ...) plug in. */
const echo: JobKind<{ text: string }> = {
  kind: 'echo',
  result: (job) => ({ echoed: job.data.text, pages: job.pages }),
};
const submitEcho = (core: PulseCore, text: string) =>
  core.submit('echo', { candidates: [`${text}.txt`], build: () => ({ data: { text }, pages: 2 }) });

describe('one job model for every kind of job', () => {
  it('polls, completes, cancels and announces a job of another kind through the same lifecycle as extract', async () => {
    const t = await testApp({ queueMs: 100, processingMs: 1000 });
    t.runtime.core.register(echo);
    const events: string[] = [];
    t.runtime.core.onEvent((e) => events.push(`${e.jobId} ${e.type} ${e.payload.data.pages_processed ?? ''}`.trim()));
    const done = (await submitEcho(t.runtime.core, 'hello')).body.job_id;
    const canceled = (await submitEcho(t.runtime.core, 'bye')).body.job_id;
    expect((await json(t.app, 'DELETE', `/job/${canceled}`)).json()).toMatchObject({
      message: 'Job cancelled successfully',
    });
    await t.clock.advance(1100);
    expect((await json(t.app, 'GET', `/job/${done}`)).json()).toMatchObject({
      status: 'completed',
      result: { echoed: 'hello', pages: 2 },
    });
    expect((await json(t.app, 'GET', `/job/${canceled}`)).json()).toMatchObject({ status: 'canceled' });
    expect(events.filter((e) => e.startsWith(done))).toEqual([
      `${done} job.created 0`,
      `${done} job.processing 0`,
      `${done} job.completed 2`,
    ]);
    expect(t.runtime.core.jobs.get(done)).toMatchObject({ kind: 'echo', data: { text: 'hello' } });
    await t.app.close();
  });

  it('restores jobs of known kinds from --state, keeps unknown kinds in the file without running them, and reads 0.1 records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-kinds-'));
    const state = join(dir, 'state');
    const config = resolveConfig({ env: {}, options: { seed: 5, state, queueMs: 100, processingMs: 1000 } });
    const clock = new ManualClock();
    const first = createRuntime(config, { clock });
    first.core.register(echo);
    const id = (await submitEcho(first.core, 'kept')).body.job_id;
    first.close();
    // A record written by 0.1 (no kind, the extract recipe at the top level) and one of a kind this version lacks.
    const legacy = {
      k: 'job',
      job: {
        id: 'legacy-1',
        status: 'completed',
        createdAt: 1,
        updatedAt: 2,
        request: { fileName: 'a.pdf' },
        document: { pages: [{}, {}, {}] },
        plannedOutcome: 'completed',
        processingMs: 1,
        outcomeReason: 'default',
        extractionId: 'x',
        largeResultFetched: false,
      },
    };
    const future = {
      k: 'job',
      job: {
        id: 'future-1',
        kind: 'hologram',
        status: 'pending',
        createdAt: 1,
        updatedAt: 1,
        plannedOutcome: 'completed',
        processingMs: 1,
        outcomeReason: 'default',
        pages: 1,
        data: {},
      },
    };
    writeFileSync(state, `${readFileSync(state, 'utf8')}${JSON.stringify(legacy)}\n${JSON.stringify(future)}\n`);

    const second = createRuntime(config, { clock });
    // The echo kind is not registered in the second run: like a kind from another version.
    expect(second.restored).toMatchObject({ unknownKindJobs: 2 });
    expect(second.core.jobs.get('legacy-1')).toMatchObject({ kind: 'extract', pages: 3, data: { extractionId: 'x' } });
    expect(second.core.jobs.get(id)).toBeUndefined();
    expect(readFileSync(state, 'utf8')).toContain('"hologram"');
    expect(readFileSync(state, 'utf8')).toContain(id);
    second.close();
  });
});
