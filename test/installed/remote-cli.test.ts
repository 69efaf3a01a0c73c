import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startReceiver, type Receiver } from '../receivers.js';
import { BIN, runCli, startCli, type RunningCli } from './cli-process.js';

/**
 * The commands that drive a running mock, as a developer runs them beside it: the installed CLI
 * mock and a real consumer; each command's claim checked against what the consumer received.
 */
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TOKEN = 'admin-token-for-the-remote-cli-test';
const running: RunningCli[] = [];
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL');
  for (const c of closers.splice(0)) await c.close();
});

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const typeOf = (r: { body: string }) => (JSON.parse(r.body) as { type: string; data: { job_id: string } }).type;
const jobOf = (r: { body: string }) => (JSON.parse(r.body) as { data: { job_id: string } }).data.job_id;

describe('pulse-mock trigger, logs, messages, resend, recover and export against a running mock', () => {
  it('each does what it says, as the consumer sees it', async () => {
    let failing = false;
    const consumer: Receiver = await startReceiver(() => ({ status: failing ? 500 : 200 }));
    closers.push(consumer);
    const mock = await startCli([
      '--webhook-url',
      consumer.url,
      '--webhook-secret',
      SECRET,
      '--processing-ms',
      '50',
      '--retry-schedule',
      '',
      '--admin-token',
      TOKEN,
    ]);
    running.push(mock);
    const remote = (args: string[]) =>
      runCli([...args, '--mock-url', mock.ready.url as string, '--admin-token', TOKEN], {}, 30_000);

    // logs --follow --json: only what happens after it started, one JSON object per line.
    const follow = spawn(process.execPath, [BIN, 'logs', '--follow', '--json', '--mock-url', mock.ready.url as string]);
    let followed = '';
    follow.stdout.on('data', (d) => (followed += d));
    closers.push({ close: async () => void follow.kill('SIGINT') });
    await new Promise((r) => setTimeout(r, 500)); // its stream is open before anything happens

    const triggered = await remote(['trigger', 'job.completed', '--json']);
    expect(triggered.code).toBe(0);
    const lines = jsonLines(triggered.stdout);
    const jobId = lines.find((l) => l.event === 'submitted')!.id as string;
    expect(lines.filter((l) => l.event === 'delivery').map((l) => [l.eventType, l.status])).toEqual([
      ['job.created', 'succeeded'],
      ['job.processing', 'succeeded'],
      ['job.completed', 'succeeded'],
    ]);
    expect(lines.at(-1)).toMatchObject({ event: 'done', id: jobId, settled: true });
    // The consumer got the job's three events, and the API answers the job they name.
    expect(consumer.received.filter((r) => jobOf(r) === jobId).map(typeOf)).toEqual([
      'job.created',
      'job.processing',
      'job.completed',
    ]);
    const job = await fetch(`${mock.ready.url}/job/${jobId}`, { headers: { 'x-api-key': 'k' } });
    expect(((await job.json()) as { status: string }).status).toBe('completed');

    const messages = jsonLines(
      (await remote(['messages', '--json', '--job', jobId, '--event', 'job.completed'])).stdout,
    );
    expect(messages.map((m) => m.eventType)).toEqual(['job.completed']);
    const resent = await remote(['resend', messages[0]!.id as string]);
    expect(resent.stdout).toMatch(/^resent: msg_/);
    const copies = await consumer.waitUntil(
      (r) => r.filter((x) => x.headers['webhook-id'] === messages[0]!.id).length === 2,
      'the resent copy',
    );
    expect(copies.filter((x) => x.headers['webhook-id'] === messages[0]!.id)).toHaveLength(2);

    // A job whose deliveries fail (no retries here), then recovered once the consumer is back.
    failing = true;
    const failed = jsonLines((await remote(['trigger', 'job.failed', '--json'])).stdout);
    const failedJob = failed.find((l) => l.event === 'submitted')!.id as string;
    expect(failed.filter((l) => l.event === 'delivery').every((l) => l.status === 'failed')).toBe(true);
    failing = false;
    const before = consumer.received.length;
    const recovered = jsonLines((await remote(['recover', '--since', '10m', '--json'])).stdout);
    expect(recovered).toEqual([expect.objectContaining({ event: 'recovered', recovered: 3 })]);
    const after = await consumer.waitFor(before + 3);
    expect(after.slice(before).every((r) => jobOf(r) === failedJob)).toBe(true);

    // The follower saw this job's deliveries as they happened.
    expect(
      followed
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, any>)
        .filter((l) => l.event === 'delivery' && l.jobId === jobId)
        .map((l) => l.eventType),
    ).toEqual(expect.arrayContaining(['job.created', 'job.processing', 'job.completed']));

    // The export: every attempt, secrets redacted (the endpoint's whsec_, the admin token).
    const har = await remote(['export', '--format', 'har']);
    expect(har.stdout).not.toContain(SECRET);
    expect(har.stdout).not.toContain(TOKEN);
    type Entry = {
      request: { headers: { name: string; value: string }[] };
      response: { status: number; headers: { name: string; value: string }[] };
    };
    const entries = (JSON.parse(har.stdout) as { log: { entries: Entry[] } }).log.entries;
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(entries.some((e) => e.response.status === 500)).toBe(true);
    // Each attempt as sent (its signature headers, kept: they are not secrets) and as answered.
    const first = entries[0]!;
    expect(first.request.headers.map((h) => h.name)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );
    expect(first.request.headers.find((h) => h.name === 'webhook-signature')!.value).toMatch(/^v1,/);
    expect(first.response.headers.find((h) => h.name === 'content-type')?.value).toMatch(/^text\/plain/);
    const ndjson = jsonLines((await remote(['export'])).stdout);
    expect(ndjson.every((m) => typeof m.id === 'string' && Array.isArray(m.attempts))).toBe(true);
  }, 60_000);

  it('says in one line when nothing answers, or when the mock wants its admin token', async () => {
    const port = await freePort();
    const r = await runCli(['jobs', '--mock-url', `http://127.0.0.1:${port}`]);
    expect([r.code, r.stderr.trim()]).toEqual([
      1,
      `[pulse-mock] error: nothing answers at http://127.0.0.1:${port} (ECONNREFUSED): start the mock (pulse-mock start), or point --mock-url at it`,
    ]);
    // Beyond loopback the admin API wants the token: known in advance through --admin-token.
    const wide = await startCli(['--host', '0.0.0.0', '--admin-token', TOKEN]);
    running.push(wide);
    const url = `http://127.0.0.1:${wide.ready.port as number}`;
    const refused = await runCli(['jobs', '--mock-url', url]);
    expect([refused.code, refused.stderr.trim()]).toEqual([
      1,
      `[pulse-mock] error: ${url} wants its admin token: pass --admin-token or set PULSE_MOCK_ADMIN_TOKEN (start prints it)`,
    ]);
    const allowed = await runCli(['jobs', '--mock-url', url], { PULSE_MOCK_ADMIN_TOKEN: TOKEN });
    expect(allowed.code).toBe(0);
  });

  it('--webhook-events limits the --webhook-url endpoints; a test event names a job the API answers', async () => {
    const consumer = await startReceiver();
    closers.push(consumer);
    const mock = await startCli([
      '--webhook-url',
      consumer.url,
      '--webhook-events',
      'job.completed,job.failed',
      '--processing-ms',
      '50',
    ]);
    running.push(mock);
    const url = mock.ready.url as string;
    const r = await runCli(['trigger', 'job.completed', '--mock-url', url, '--json'], {}, 30_000);
    expect(r.code).toBe(0);
    const received = await consumer.waitFor(1);
    expect(received.map(typeOf)).toEqual(['job.completed']);

    const { data: endpoints } = (await (await fetch(`${url}/_mock/endpoints`)).json()) as { data: { id: string }[] };
    const test = await fetch(`${url}/_mock/endpoints/${endpoints[0]!.id}/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'job.completed' }),
    });
    const jobId = ((await test.json()) as { payload: { data: { job_id: string } } }).payload.data.job_id;
    const job = await fetch(`${url}/job/${jobId}`, { headers: { 'x-api-key': 'k' } });
    // A consumer that fetches the job, as Pulse advises, gets it.
    expect([job.status, ((await job.json()) as { status: string }).status]).toEqual([200, 'completed']);
  });

  it('help shows types and defaults; a mistyped flag or command gets a suggestion', async () => {
    const help = await runCli(['start', '--help']);
    expect(help.stdout).toMatch(/--port {2,}Port to listen on[^\n]*\[number\] \[default: 4050\]/);
    const typo = await runCli(['start', '--prot', '4051']);
    expect([typo.code, typo.stderr.trim()]).toEqual([
      2,
      '[pulse-mock] error: Unknown argument: prot; did you mean --port? (see pulse-mock --help)',
    ]);
    const word = await runCli(['start', '--port', 'abc']);
    expect(word.stderr).toMatch(/invalid --port: "abc"; expected an integer/);
    expect((await runCli(['strat'])).stderr).toMatch(/Did you mean start\?/);
    // Each scenario command has its own help: listing takes no target.
    const list = await runCli(['scenario', 'list', '--help']);
    expect(list.stdout).toMatch(/^pulse-mock scenario list\n\nThe built-in scenarios/);
    expect(list.stdout).not.toMatch(/--target/);
    expect((await runCli(['scenario', 'run', '--help'])).stdout).toMatch(/--target/);
  });
});
