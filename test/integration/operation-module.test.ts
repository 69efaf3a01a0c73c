import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import type { JobEvent } from '../../src/core/events.js';
import { createPulseMsw } from '../../src/msw/index.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { echoOperation, registerEchoOperation } from '../fixtures/echo-operation.js';
import { BUILT_IN_OPERATIONS } from '../../src/operations/index.js';
import { createRuntime } from '../../src/runtime.js';
import type { FaultRule } from '../../src/index.js';
import { jsonCaller, mswPulseFor, PULSE, serverFor } from '../adapters.js';
import { startReceiver, type Receiver } from '../receivers.js';

/**
 * Issue 16's "done when": an operation that is not extract, added to the built-in list by this
 * file alone, works through both adapters, the shared job routes, webhooks, API faults scoped to
 * its own route and a --state restart. Nothing shared knows its name.
 */
const KEY = 'sk_echo';
// At import, before any adapter below is built (each reads the list when it is made).
const unregister = registerEchoOperation();
afterAll(() => unregister());

describe('an operation module added to the built-in list', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('is served by the server: sync with a job id and a file, async jobs polled and cancelled, a batch run by its workers, its webhooks, a fault on its route, and a --state restart', async () => {
    const clock = new ManualClock();
    const state = join(mkdtempSync(join(tmpdir(), 'pm-echo-')), 'state.jsonl');
    const config = resolveConfig({
      env: {},
      options: {
        seed: 3,
        apiKey: KEY,
        state,
        queueMs: 100,
        processingMs: 1000,
        webhookUrl: [receiver.url],
        retrySchedule: [],
        port: 0,
        host: '127.0.0.1',
      },
    });
    const events: string[] = [];
    const watch = (s: RunningServer) => s.runtime.core.onEvent((e: JobEvent) => events.push(`${e.jobId} ${e.type}`));
    let server = await startServer(config, { clock });
    watch(server);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.mock.url}${path}`, {
        method,
        headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const type = res.headers.get('content-type') ?? '';
      return {
        status: res.status,
        type,
        body: (type.startsWith('application/json') ? await res.json() : await res.text()) as Record<string, any>,
      };
    };

    // Its routes are in the OpenAPI document, and its route name in the fault rules' schema.
    const openapi = (await (await fetch(`${server.mock.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/echo', '/batch/echo', '/echo/{jobId}/files/{name}']),
    );
    expect(() => server.mock.faults.add({ fault: { kind: 'drop' }, scope: { routes: ['nope'] } })).toThrow(/routes/);

    // Sync: answered now, with a job id that GET /job and its file know; no webhook for it.
    const sync = await call('POST', '/echo', { text: 'now' });
    expect(sync).toMatchObject({ status: 200, body: { echoed: 'now', pages: 2 } });
    expect(await call('GET', `/job/${sync.body.echo_id}`)).toMatchObject({
      status: 200,
      body: { status: 'completed', result: { echoed: 'now' } },
    });
    expect(await call('GET', `/echo/${sync.body.echo_id}/files/echo.txt`)).toMatchObject({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: 'now\n',
    });
    expect(await call('GET', `/echo/${sync.body.echo_id}/files/other.txt`)).toMatchObject({
      status: 404,
      body: { error: { code: 'FILE_NOT_FOUND' } },
    });

    // A fault rule scoped to its route hits its route only.
    server.mock.faults.add({
      id: 'echo-503',
      fault: { kind: 'api-error', status: 503 },
      scope: { routes: ['echo'] },
      when: { nth: [1] },
    });
    expect(await call('POST', '/echo', { text: 'x', async: true })).toMatchObject({ status: 503 });
    expect((await call('GET', `/job/${sync.body.echo_id}`)).status).toBe(200);
    const later = (await call('POST', '/echo', { text: 'later', async: true })).body.job_id as string;
    const gone = (await call('POST', '/echo', { text: 'gone', async: true })).body.job_id as string;
    expect(
      server.mock
        .requests()
        .filter((r) => r.route === 'echo')
        .map((r) => r.status),
    ).toEqual([200, 503, 200, 200]);
    expect(await call('DELETE', `/job/${gone}`)).toMatchObject({
      status: 200,
      body: { message: 'Job cancelled successfully' },
    });

    // A batch of three with one worker (its module's batch capability): one child runs at a time.
    const batch = await call('POST', '/batch/echo', {
      texts: ['a', 'b', 'c'],
      workers: 1,
      output: { s3_prefix: 's3://bucket/echoes/' },
    });
    expect(batch).toMatchObject({ status: 202, body: { status: 'processing', total_texts: 3 } });
    const batchId = batch.body.batch_job_id as string;
    await clock.advance(100);
    const progress = (await call('GET', `/job/${batchId}`)).body;
    expect(progress).toMatchObject({ status: 'processing', result: { total: 3, completed: 0 } });
    const [a, b, c] = (progress.result.items as { job_id: string; status: string }[]).map((i) => i.job_id) as [
      string,
      string,
      string,
    ];
    expect(progress.result.items.map((i: { status: string }) => i.status)).toEqual([
      'processing',
      'pending',
      'pending',
    ]);
    await clock.advance(1000);
    expect((await call('GET', `/job/${later}`)).body).toMatchObject({
      status: 'completed',
      result: { echoed: 'later', pages: 2 },
    });
    expect((await call('GET', `/job/${batchId}`)).body.result.items.map((i: { status: string }) => i.status)).toEqual([
      'completed',
      'processing',
      'pending',
    ]);

    // Webhooks for its jobs, signed and delivered like extract's, before the restart.
    // later 3, gone 2, the batch 2, its children 3 + 2 + 1.
    await receiver.waitFor(13);
    await server.mock.close();

    // The restart picks the batch up where it was: b still running, c waiting for the worker.
    server = await startServer(config, { clock });
    watch(server);
    expect(server.runtime.restored).toMatchObject({ unknownKindJobs: 0 });
    expect((await call('GET', `/job/${gone}`)).body).toMatchObject({ status: 'canceled' });
    expect(await call('GET', `/echo/${later}/files/echo.txt`)).toMatchObject({ status: 200, body: 'later\n' });
    await clock.advance(1000);
    await clock.advance(1000);
    expect((await call('GET', `/job/${batchId}`)).body).toMatchObject({
      status: 'completed',
      result: { total: 3, completed: 3 },
    });
    await receiver.waitFor(17);
    await server.mock.close();

    const ofJob = (id: string) => events.filter((e) => e.startsWith(`${id} `)).map((e) => e.split(' ')[1]);
    expect(ofJob(later)).toEqual(['job.created', 'job.processing', 'job.completed']);
    expect(ofJob(gone)).toEqual(['job.created', 'job.cancelled']);
    expect(ofJob(batchId)).toEqual(['job.created', 'job.processing', 'job.completed']);
    // One worker: each child starts after the one before it ended, across the restart too.
    const order = events.filter((e) => [a, b, c].some((id) => e.startsWith(`${id} `)) && !e.endsWith('created'));
    expect(order).toEqual([
      `${a} job.processing`,
      `${a} job.completed`,
      `${b} job.processing`,
      `${b} job.completed`,
      `${c} job.processing`,
      `${c} job.completed`,
    ]);
    const delivered = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { job_id: string } });
    expect(delivered.filter((d) => d.data.job_id === batchId).map((d) => d.type)).toEqual([
      'job.created',
      'job.processing',
      'job.completed',
    ]);
    expect(delivered.some((d) => d.data.job_id === sync.body.echo_id)).toBe(false);
    expect(receiver.received.every((r) => typeof r.headers['webhook-signature'] === 'string')).toBe(true);
  });

  it('cancelling a batch cancels the children that have not ended, and none of them starts on the way', async () => {
    const clock = new ManualClock();
    const config = resolveConfig({
      env: {},
      options: { seed: 4, apiKey: KEY, queueMs: 100, processingMs: 1000, port: 0, host: '127.0.0.1' },
    });
    const server = await startServer(config, { clock });
    const events: string[] = [];
    server.runtime.core.onEvent((e) => events.push(`${e.jobId} ${e.type}`));
    const post = (path: string, body: unknown) =>
      fetch(`${server.mock.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { batch_job_id: id } = (await (
      await post('/batch/echo', { texts: ['a', 'b', 'c'], workers: 2, output: { s3_prefix: 's3://b/e/' } })
    ).json()) as {
      batch_job_id: string;
    };
    await clock.advance(100);
    await fetch(`${server.mock.url}/job/${id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
    const children = server.runtime.core.childrenOf(id);
    expect(children.map((c) => c.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(server.runtime.core.jobs.get(id)?.status).toBe('canceled');
    expect(events.filter((e) => e.endsWith('job.processing')).length).toBe(3); // the parent and two workers, never the third
    expect(events.at(-1)).toBe(`${id} job.cancelled`);
    await server.mock.close();
  });
});

describe('files of a job', () => {
  it('go with the job when it is evicted', async () => {
    const server = await startServer(
      resolveConfig({ env: {}, options: { seed: 5, apiKey: KEY, maxJobs: 2, port: 0, host: '127.0.0.1' } }),
      { clock: new ManualClock() },
    );
    const get = (path: string) => fetch(`${server.mock.url}${path}`, { headers: { 'x-api-key': KEY } });
    const echo = async (text: string) =>
      (
        (await (
          await fetch(`${server.mock.url}/echo`, {
            method: 'POST',
            headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
            body: JSON.stringify({ text }),
          })
        ).json()) as { echo_id: string }
      ).echo_id;
    const first = await echo('first');
    expect((await get(`/echo/${first}/files/echo.txt`)).status).toBe(200);
    await echo('second');
    await echo('third');
    const gone = await get(`/echo/${first}/files/echo.txt`);
    expect([gone.status, ((await gone.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      'JOB_NOT_FOUND',
    ]);
    await server.mock.close();
  });
});

describe('the same operation through the msw handlers', () => {
  const clock = new ManualClock();
  const pulse = createPulseMsw({ apiKey: KEY, seed: 3, queueMs: 100, processingMs: 1000, clock });
  const msw = setupServer(...pulse.handlers);
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => {
    msw.close();
    pulse.close();
  });
  const API = 'https://api.runpulse.com';
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${API}${path}`, {
      method,
      headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('serves its routes, its files as bytes, the shared job routes and a fault on its route', async () => {
    const sync = (await (await call('POST', '/echo', { text: 'unit' })).json()) as {
      echo_id: string;
      file_url: string;
    };
    expect(sync.file_url).toBe(`${API}/echo/${sync.echo_id}/files/echo.txt`);
    const file = await call('GET', `/echo/${sync.echo_id}/files/echo.txt`);
    expect([file.status, file.headers.get('content-type'), await file.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'unit\n',
    ]);
    expect((await call('POST', '/echo', { text: 'x'.repeat(101) })).status).toBe(400);

    pulse.faults.add({
      fault: { kind: 'api-error', status: 429, retryAfterS: 1 },
      scope: { routes: ['echo-files'] },
      when: { nth: [1] },
    });
    expect((await call('GET', `/echo/${sync.echo_id}/files/echo.txt`)).status).toBe(429);
    expect((await call('GET', `/echo/${sync.echo_id}/files/echo.txt`)).status).toBe(200);

    const { job_id } = (await (await call('POST', '/echo', { text: 'job', async: true })).json()) as { job_id: string };
    const { job_id: other } = (await (await call('POST', '/echo', { text: 'other', async: true })).json()) as {
      job_id: string;
    };
    expect((await call('DELETE', `/job/${other}`)).status).toBe(200);
    await clock.advance(1100);
    expect(await (await call('GET', `/job/${job_id}`)).json()).toMatchObject({
      status: 'completed',
      result: { echoed: 'job' },
    });
    expect(await (await call('GET', `/job/${other}`)).json()).toMatchObject({ status: 'canceled' });
  });
});

/**
 * Issue 30's acceptance: the echo operation is batchable, a pipeline step and has presets by
 * what its own module declares (test/fixtures/echo-operation.ts), and each works through the
 * server and msw, with a fault scoped to its batch route.
 */
function capabilities(base: () => string, clock: () => ManualClock) {
  const call = jsonCaller(base, KEY);

  it('presets: echo_config_id names a saved text; an unknown id is a 404 naming the field', async () => {
    expect((await call('POST', '/echo', { echo_config_id: 'hello' })).body).toMatchObject({ echoed: 'hi, preset' });
    expect(await call('POST', '/echo', { echo_config_id: 'nope' })).toMatchObject({
      status: 404,
      body: { error: { details: { echo_config_id: 'nope' } } },
    });
  });

  it('batch: POST /batch/echo runs a child per text, behind its own fault-scoped route name', async () => {
    const body = { texts: ['a', 'b'], output: { s3_prefix: 's3://bucket/echoes/' } };
    expect((await call('POST', '/batch/echo', body)).status).toBe(503); // the rule on batch-echo, first call
    const batch = await call('POST', '/batch/echo', body);
    expect(batch).toMatchObject({ status: 202, body: { status: 'processing', total_texts: 2 } });
    await clock().advance(2000);
    const done = (await call('GET', `/job/${batch.body.batch_job_id}`)).body;
    expect(done).toMatchObject({ status: 'completed', result: { step: 'echo', total: 2, completed: 2 } });
    const items = done.result.items as { input: string; echo_id: string }[];
    expect(items.map((i) => i.input)).toEqual(['a', 'b']);
    expect((await call('GET', `/job/${items[1]!.echo_id}`)).body.result).toMatchObject({ echoed: 'b' });
  });

  it('pipeline: a step after extract; the chain rules come from its follows', async () => {
    const run = await call('POST', '/pipeline/execute', {
      file_url: 'https://e.com/invoice.pdf',
      steps: { extract: {}, echo: {} },
    });
    expect(run.status).toBe(200);
    expect(run.body.results.echo).toMatchObject({ echoed: run.body.results.extract.extraction_id, latency: 0.1 });
    expect((await call('POST', '/pipeline/execute', { steps: { echo: { text: 'x' } } })).body.error.message).toBe(
      'A pipeline starts with steps.extract or steps.batch_extract.',
    );
    const after = await call('POST', '/pipeline/execute', {
      file_url: 'https://e.com/invoice.pdf',
      steps: { extract: {}, echo: {}, tables: {} },
    });
    expect(after.body.error.message).toBe('steps.echo must be the last step.');
  });
}

const ECHO_OPTIONS = {
  apiKey: KEY,
  seed: 30,
  queueMs: 10,
  processingMs: 100,
  presets: [{ id: 'hello', kind: 'echo', text: 'hi, preset' }],
  faults: [
    { fault: { kind: 'api-error', status: 503 }, scope: { routes: ['batch-echo'] }, when: { nth: [1] } },
  ] satisfies FaultRule[],
};

describe("the echo module's own capabilities, through the server", () => {
  const { server, clock } = serverFor(ECHO_OPTIONS);
  capabilities(
    () => server().mock.url,
    () => clock,
  );

  it('its presets are checked when the mock starts, as the built-in ones are', () => {
    expect(() =>
      createRuntime(resolveConfig({ env: {}, options: { presets: [{ id: 'bad', kind: 'echo', text: 5 }] } })),
    ).toThrow('[pulse-mock] invalid presets[0].text (preset "bad"): must be string');
  });
});

describe("the echo module's own capabilities, through msw", () => {
  const { clock } = mswPulseFor(ECHO_OPTIONS);
  capabilities(
    () => PULSE,
    () => clock,
  );
});

describe('the registry', () => {
  it('refuses a module whose instance says another kind (the kind is written once, in the module)', () => {
    const stray = { ...echoOperation, kind: 'echo2' };
    BUILT_IN_OPERATIONS.push(stray);
    try {
      expect(() => createRuntime(resolveConfig({ env: {}, options: {} }))).toThrow(
        '[pulse-mock] operation module "echo2" made an instance of kind "echo"; they must be one',
      );
    } finally {
      BUILT_IN_OPERATIONS.splice(BUILT_IN_OPERATIONS.indexOf(stray), 1);
    }
  });
});
