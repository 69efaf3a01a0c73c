import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { inject } from 'vitest';

/**
 * The installed package's bin (`npx pulse-mock`), from the tarball the global set-up packed and
 * installed: what users run, not the sources.
 */
export const BIN = inject('installed').bin;

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  ready: Record<string, any>;
  lines: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `pulse-mock start ...` and resolves with its JSON ready line (bounded wait). */
export function startCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; bin?: string } = {},
): Promise<RunningCli> {
  return spawnReady(['start', '--port', '0', '--json', ...args], opts);
}

/** Spawns `pulse-mock <args>` (a command that listens) and resolves with its JSON ready line (bounded wait). */
export async function spawnReady(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; bin?: string } = {},
): Promise<RunningCli> {
  const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
  });
  const lines: string[] = [];
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  const ready = await new Promise<Record<string, any>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 15 s; stderr: ${err}`)), 15_000);
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const o = JSON.parse(line);
          if (o.event === 'ready') {
            clearTimeout(timer);
            resolve(o);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready; stderr: ${err}`));
    });
  });
  return { child, ready, lines, stderr: () => err, exited };
}

/** Runs the CLI to completion (for commands that should fail fast). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pulse-mock ${args.join(' ')} did not exit in ${timeoutMs} ms`));
    }, timeoutMs);
    // 'close', not 'exit': the output may still be in the pipe when the process has exited.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
