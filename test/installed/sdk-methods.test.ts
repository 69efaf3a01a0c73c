import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startReceiver, type Receiver } from '../receivers.js';
import { ALL_SDK_METHODS, everyMethod, SDK_KEY } from '../sdk-calls.js';
import { startCli, type RunningCli } from './cli-process.js';

/**
 * Each of the SDK's 20 methods (test/sdk-calls.ts: file uploads as multipart, as the SDK sends
 * them) through the installed CLI over a real socket. A job is settled when its final event has
 * reached the webhook consumer.
 */
const FINAL = new Set(['job.completed', 'job.failed', 'job.cancelled']);

describe("the SDK's 20 methods through the installed CLI", () => {
  let consumer: Receiver;
  let cli: RunningCli;
  beforeAll(async () => {
    consumer = await startReceiver();
    cli = await startCli(
      [
        '--api-key',
        SDK_KEY,
        '--seed',
        '20',
        '--queue-ms',
        '10',
        '--processing-ms',
        '100',
        '--webhook-url',
        consumer.url,
      ],
      { cwd: inject('installed').user },
    );
  });
  afterAll(async () => {
    cli.child.kill('SIGTERM');
    await cli.exited;
    await consumer.close();
  });

  it('answers every method', async () => {
    const finished = (ids: string[]) => (received: { body: string }[]) => {
      const done = new Set(
        received
          .map((r) => JSON.parse(r.body) as { type: string; data: { job_id: string } })
          .filter((e) => FINAL.has(e.type))
          .map((e) => e.data.job_id),
      );
      return ids.every((id) => done.has(id));
    };
    const settle = async (ids: string[]) => {
      await consumer.waitUntil(finished(ids), `the final events of ${ids.join(', ')}`, 15_000);
    };
    expect(new Set(await everyMethod(cli.ready.url as string, settle))).toEqual(new Set(ALL_SDK_METHODS));
    expect(cli.stderr()).toBe('');
  });
});
