/**
 * The shell examples of README.md (and docs/*.md), as data: parsed from their fenced `sh`/`bash`
 * blocks, run against the installed CLI, and compared with the output the text shows.
 *
 * Conventions a block follows (they are what a reader assumes too):
 * - `$ command` (with `\` continuation lines) is a command; the lines after it, up to a blank
 *   line, a `# comment` or the next `$`, are its shown output. A block without `$` lines is a
 *   list of commands with no shown output.
 * - In a shown output, `…` stands for anything; `"3f0c…"` (four hex digits and `…`) is an id:
 *   later commands' `3f0c…` is the id that output returned.
 * - `npx pulse-mock start ...` (and `record`) runs in the background for the rest of its block (a reader runs it
 *   in another terminal); a block that starts none talks to `npx pulse-mock start --api-key
 *   sk_test --seed 42`, the example session's mock. Port 4050 and the consumer's port 3000 are
 *   free ports here, the same in commands and outputs.
 * - A `GET .../job/<id>` is retried until the job is final (a reader polls), for at most 20 s.
 * - A command in NOT_RUN is listed with the reason it cannot run here.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Step {
  /** The command as written (continuations joined). */
  command: string;
  /** The output the text shows, if any. */
  shown?: string;
  /** Line of the command in the file (1-based). */
  line: number;
}

export interface Block {
  file: string;
  line: number;
  steps: Step[];
}

/** Commands that cannot run in the test suite, each with the reason. */
export const NOT_RUN: Record<string, string> = {
  'npm ci && npx pulse-mock start':
    'runs in a checkout of this repository (CI runs `npm ci` in a fresh clone; the installed tier runs `npx pulse-mock start` from the tarball)',
  'npm ci && npm test': 'is this test suite',
  'npm i -D pulse-mock':
    'installs from the npm registry; the installed tier installs the packed tarball the same way (test/installed/global-setup.ts)',
};

const FENCE = /^```(sh|bash)\s*$/;

/** The shell blocks of a Markdown file. */
export function parseBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i]!)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    blocks.push({ file, line: start, steps: parseSteps(body, start + 1) });
  }
  return blocks;
}

function parseSteps(body: string[], firstLine: number): Step[] {
  const prompted = body.some((l) => l.startsWith('$ '));
  const steps: Step[] = [];
  for (let i = 0; i < body.length; i++) {
    const raw = body[i]!;
    if (!raw.trim() || raw.startsWith('#')) continue;
    if (prompted && !raw.startsWith('$ ')) continue; // output lines are read with their command
    const line = firstLine + i;
    let command = prompted ? raw.slice(2) : raw;
    while (command.endsWith('\\') && i + 1 < body.length)
      command = `${command.slice(0, -1).trimEnd()} ${body[++i]!.trim()}`;
    const out: string[] = [];
    if (prompted)
      while (
        i + 1 < body.length &&
        body[i + 1]!.trim() &&
        !body[i + 1]!.startsWith('$ ') &&
        !body[i + 1]!.startsWith('#')
      )
        out.push(body[++i]!);
    steps.push({ command: command.trim(), ...(out.length ? { shown: out.join('\n') } : {}), line });
  }
  return steps;
}

// ------------------------------------------------------------------ matching shown output

const ID = /^[0-9a-f]{4}…/;

type Part = { literal: string } | { any: true } | { id: string };

function parts(template: string): Part[] {
  const out: Part[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const at = template.slice(i);
    const id = /["/]$/.test(literal) ? ID.exec(at) : null;
    if (id || at.startsWith('…')) {
      if (literal) out.push({ literal });
      literal = '';
      out.push(id ? { id: id[0] } : { any: true });
      i += (id ? id[0].length : 1) - 1;
    } else literal += template[i];
  }
  if (literal) out.push({ literal });
  return out;
}

/**
 * Whether `actual` is what `template` shows; binds the ids it shows (`3f0c…` -> the id) into
 * `ids`. An id must start with the digits shown, unless `anyIdPrefix` (when regenerating).
 */
export function matchShown(template: string, actual: string, ids: Map<string, string>, anyIdPrefix = false): boolean {
  const ps = parts(template.trim());
  const text = actual.trim();
  const bound = new Map<string, string>();
  let pos = 0;
  let floating = false; // after a `…`: the next literal may start anywhere later
  for (let k = 0; k < ps.length; k++) {
    const p = ps[k]!;
    if ('any' in p) {
      floating = true;
      continue;
    }
    if ('id' in p) {
      const known = ids.get(p.id) ?? bound.get(p.id);
      const value = known ?? /^[^"/\s?,}]+/.exec(text.slice(pos))?.[0];
      if (!value || (!known && !anyIdPrefix && !value.startsWith(p.id.slice(0, 4)))) return false;
      if (!text.startsWith(value, pos)) return false;
      bound.set(p.id, value);
      pos += value.length;
      floating = false;
      continue;
    }
    const last = k === ps.length - 1;
    const at = !floating ? pos : last ? text.length - p.literal.length : text.indexOf(p.literal, pos);
    if (at < pos || !text.startsWith(p.literal, at)) return false;
    pos = at + p.literal.length;
    floating = false;
  }
  if (!floating && pos !== text.length) return false;
  for (const [k, v] of bound) ids.set(k, v);
  return true;
}

/** Replaces each bound id placeholder in a command (`/job/3f0c…`) with the id; unbound ones throw. */
export function fillIds(command: string, ids: Map<string, string>): string {
  return command.replace(/[0-9a-f]{4}…/g, (ph) => {
    const id = ids.get(ph);
    if (!id) throw new Error(`the command uses ${ph}, but no earlier output of its block showed that id`);
    return id;
  });
}

// ------------------------------------------------------------------ regenerating shown output

/** Fields an abbreviated answer always shows. */
const NOTABLE = /(^|_)id$|^status$|^error$|_output$|^values$|^results?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A shown output for `actual`: JSON abbreviated (ids to `3f0c…`, long text and deep values to `…`), other text's first lines. */
export function abbreviate(actual: string): string {
  const text = actual.trim();
  try {
    return short(JSON.parse(text) as unknown, 0);
  } catch {
    const lines = text.split('\n');
    return lines.length > 4 ? `${lines.slice(0, 3).join('\n')}\n…` : text;
  }
}

function short(v: unknown, depth: number): string {
  if (typeof v === 'string') {
    if (UUID.test(v)) return `"${v.slice(0, 4)}…"`;
    if (/^\d{4}-\d\d-\d\dT/.test(v)) return '"…"';
    const s = JSON.stringify(v.length > 48 ? v.slice(0, 32) : v);
    return v.length > 48 ? `${s.slice(0, -1)}…"` : s;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return depth >= 3 ? '[…]' : `[${short(v[0], depth + 1)}${v.length > 1 ? ',…' : ''}]`;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    if (depth >= 3) return '{…}';
    // The first few fields, every id (the next commands use them), the status and the outputs, in order.
    const keep = depth === 0 ? 6 : 3;
    const out: string[] = [];
    entries.forEach(([k, x], i) => {
      if (i < keep || NOTABLE.test(k)) out.push(`${JSON.stringify(k)}:${short(x, depth + 1)}`);
      else if (out.at(-1) !== '…') out.push('…');
    });
    return `{${out.join(',')}}`;
  }
  return JSON.stringify(v);
}

// ------------------------------------------------------------------ running

export interface RunEnv {
  /** The project where `npx pulse-mock` is the installed package. */
  cwd: string;
  /** Ports standing for 4050 (the mock) and 3000 (the consumer). */
  /** The free ports standing for the text's 4050 (the mock), 3000 (the consumer) and 4051 (a recorder in front of the mock). */
  ports: { api: number; consumer: number; proxy?: number };
  env?: Record<string, string>;
}

export interface StepResult {
  step: Step;
  command: string;
  status: 'matched' | 'ran' | 'mismatch' | 'failed' | 'not-run';
  output: string;
  reason?: string;
  /** Placeholders of the text renamed for this step by earlier regenerated outputs. */
  renames: Map<string, string>;
}

/** The text's ports (4050 for the mock's API, 3000 for the consumer) as the free ports of this run. */
export const withPorts = (s: string, ports: RunEnv['ports']) =>
  s
    .replace(/(127\.0\.0\.1|localhost):4050\b/g, `127.0.0.1:${ports.api}`)
    .replace(/--(api-)?port 4050\b/g, `--$1port ${ports.api}`)
    .replace(/(127\.0\.0\.1|localhost):4051\b/g, `127.0.0.1:${ports.proxy ?? 4051}`)
    .replace(/--port 4051\b/g, `--port ${ports.proxy ?? 4051}`)
    .replace(/localhost:3000\b/g, `127.0.0.1:${ports.consumer}`);

const isServer = (command: string) => /^(npx )?pulse-mock (start|record)\b/.test(command);
const isPoll = (command: string) => /^curl\b(?!.*\s-(X|d|F)\s)(?!.*--form).*\/job\/\S+/.test(command);
const FINAL = /^\{"job_id":"[^"]+","status":"(completed|failed|canceled)"/;

/** A background `pulse-mock start`: resolves with its banner once it says it is ready. */
function startServer(command: string, r: RunEnv): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn('bash', ['-c', `exec ${command}`], {
    cwd: r.cwd,
    env: { ...process.env, ...r.env, PULSE_MOCK_PORT: String(r.ports.api) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`\`${command}\` was not ready in 20 s: ${out}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Press Ctrl\+C to stop\.|"event":"ready"/.test(out)) {
        clearTimeout(timer);
        resolve({ child, banner: out });
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${command}\` exited ${code}: ${out}`));
    });
  });
}

function shell(command: string, r: RunEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      cwd: r.cwd,
      // The commands that talk to a running mock default to 127.0.0.1:4050: here, its free port.
      env: { ...process.env, PULSE_MOCK_URL: `http://127.0.0.1:${r.ports.api}`, ...r.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out: code === 0 ? out : `${out}${err}` });
    });
  });
}

const DEFAULT_SERVER = 'npx pulse-mock start --api-key sk_test --seed 42';

/**
 * Runs one block's commands in order and compares each output with the shown one. After a
 * mismatch the block goes on with the ids the command returned: each placeholder the text showed
 * for a field (`"extraction_id":"6f1c…"`) stands, from then on, for the one `abbreviate` shows
 * for the id now there (`renames` of each later step: how a regenerated block writes it).
 */
export async function runBlock(block: Block, r: RunEnv): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const active = new Map<string, string>();
  const rename = (text: string) => text.replace(/[0-9a-f]{4}…/g, (ph) => active.get(ph) ?? ph);
  const servers: ChildProcess[] = [];
  const ids = new Map<string, string>();
  try {
    const runnable = block.steps.filter((s) => !NOT_RUN[s.command]);
    if (
      runnable.length > 0 &&
      !runnable.some((s) => isServer(s.command)) &&
      runnable.some((s) => /:4050\b/.test(s.command))
    )
      servers.push((await startServer(DEFAULT_SERVER, r)).child);
    for (const step of block.steps) {
      const reason = NOT_RUN[step.command];
      if (reason) {
        results.push({ step, command: step.command, status: 'not-run', output: '', reason, renames: new Map() });
        continue;
      }
      const renames = new Map(active);
      const command = withPorts(fillIds(rename(step.command), ids), r.ports);
      const shown = step.shown === undefined ? undefined : withPorts(rename(step.shown), r.ports);
      let output: string;
      let ok = true;
      if (isServer(step.command)) {
        const s = await startServer(command, r);
        servers.push(s.child);
        output = s.banner;
      } else {
        let res = await shell(command, r);
        const deadline = Date.now() + 20_000;
        // A reader polls until the job is final; so does this (bounded).
        while (isPoll(step.command) && res.code === 0 && !FINAL.test(res.out) && Date.now() < deadline) {
          await new Promise((done) => setTimeout(done, 200));
          res = await shell(command, r);
        }
        output = res.out;
        ok = res.code === 0;
      }
      const status: StepResult['status'] = !ok
        ? 'failed'
        : shown === undefined
          ? 'ran'
          : matchShown(shown, output, ids)
            ? 'matched'
            : 'mismatch';
      results.push({ step, command, status, output, renames });
      if (status === 'mismatch' && step.shown !== undefined) {
        const fresh = abbreviate(output);
        matchShown(fresh, output, ids, true);
        const now = idFields(fresh);
        for (const [field, old] of idFields(step.shown)) {
          const renamed = now.get(field);
          if (renamed) active.set(old, renamed);
        }
      }
    }
  } finally {
    await Promise.all(
      servers.map(
        (s) => new Promise((done) => (s.exitCode !== null ? done(null) : (s.once('exit', done), s.kill('SIGTERM')))),
      ),
    );
  }
  return results;
}

/** `"extraction_id":"6f1c…"` -> extraction_id => 6f1c… (the first of each field). */
function idFields(shown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of shown.matchAll(/"(\w+)":"([0-9a-f]{4}…)"/g)) if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  return out;
}
