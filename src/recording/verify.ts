import { systemClock, wallDelay } from '../clock.js';
import type { PulseMockOptions } from '../index.js';
import { startFromOptions } from '../server/start.js';
import { junit, type ReporterName } from '../scenarios/reporters.js';
import { canonicalKey, pairIds, replaceIds, type Recording } from './format.js';
import { Replayer } from './replayer.js';
import { diffShapes, shapeOf, type ShapeDifference } from './shape-diff.js';

/** A difference between the upstream's answer and the mock's to the same request. */
export type Difference =
  ShapeDifference | { path: string; kind: 'status' | 'error-code'; upstream: string; mock: string };

export interface VerifyStep {
  name: string;
  request: string;
  upstreamStatus?: number;
  mockStatus?: number;
  differences: Difference[];
  /** Why the step was not compared (an upload whose bytes a recording does not keep). */
  skipped?: string;
  durationMs: number;
}

export interface VerifyReport {
  passed: boolean;
  upstream: string;
  steps: VerifyStep[];
}

export interface VerifyOptions {
  upstream: string;
  upstreamApiKey?: string;
  /** Send the recordings' requests instead of the built-in set. */
  recordings?: string;
  /** The document the built-in set extracts (a real PDF: Pulse downloads it). */
  fileUrl?: string;
  /** How long an async job may take on either side (ms). */
  timeoutMs?: number;
  mock?: Partial<PulseMockOptions>;
}

/** One side of the comparison: where it is, its key, and the ids its answers gave. */
interface Side {
  base: string;
  key: string;
  ids: Map<string, string>;
  last: Record<string, string>;
}

interface Step {
  name: string;
  method: 'GET' | 'POST';
  path: (s: Side) => string;
  body?: (s: Side) => unknown;
  /** Poll the answer's job to its end and compare that too. */
  poll?: boolean;
  /** What a recording answered, to learn each side's ids from. */
  recorded?: unknown;
  skipped?: string;
}

export const DEFAULT_FILE_URL = 'https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf';
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

/** Every operation once, ids chained from each side's own answers, and a few errors. */
function builtInSteps(fileUrl: string): Step[] {
  const extraction = (s: Side) => s.last.extraction_id;
  return [
    { name: 'extract', method: 'POST', path: () => '/extract', body: () => ({ file_url: fileUrl }) },
    {
      name: 'extract (async)',
      method: 'POST',
      path: () => '/extract',
      body: () => ({ file_url: fileUrl, async: true }),
      poll: true,
    },
    {
      name: 'split',
      method: 'POST',
      path: () => '/split',
      body: (s) => ({
        extraction_id: extraction(s),
        // "Title" names a fact every kind but invoices and forms prints on its first page: the
        // topic matches a page on both sides, so neither answer carries a no-match warning.
        split_config: { split_input: [{ name: 'Title', description: 'the title page' }] },
      }),
    },
    {
      name: 'schema',
      method: 'POST',
      path: () => '/schema',
      body: (s) => ({
        extraction_id: extraction(s),
        schema_config: { input_schema: { type: 'object', properties: { title: { type: 'string' } } } },
      }),
    },
    {
      name: 'tables',
      method: 'POST',
      path: () => '/tables',
      body: (s) => ({ extraction_id: extraction(s), tables_config: { table_format: 'json' } }),
    },
    { name: 'unknown job', method: 'GET', path: () => `/job/${UNKNOWN_JOB}` },
    { name: 'extract without a file', method: 'POST', path: () => '/extract', body: () => ({}) },
  ];
}

/** The recordings' requests, their recorded ids replaced by each side's. */
function recordedSteps(dir: string): Step[] {
  const recordings: Recording[] = Replayer.recordingsIn(dir);
  return recordings.map((r, i) => ({
    name: `${String(i + 1).padStart(4, '0')} ${r.request.route}`,
    method: 'POST',
    path: () => r.request.path,
    body: (s) => replaceIds(r.request.fields, s.ids),
    poll: r.lifecycle !== undefined,
    recorded: r.response.body,
    ...(r.request.file ? { skipped: `it uploaded ${r.request.file.name}, whose bytes a recording does not keep` } : {}),
  }));
}

/**
 * `pulse-mock verify`: the same requests to the upstream (Pulse) and to a mock, and where the
 * answers' shapes differ, field by field. Run nightly against Pulse, it says the day Pulse changes.
 */
export async function runVerify(o: VerifyOptions): Promise<VerifyReport> {
  // A fixed seed: the same run reports the same thing every night.
  const server = await startFromOptions({ processingMs: 50, queueMs: 10, seed: 1, ...o.mock, port: 0 });
  const sides = {
    upstream: { base: o.upstream.replace(/\/$/, ''), key: o.upstreamApiKey ?? '', ids: new Map(), last: {} },
    mock: { base: server.mock.url, key: server.mock.apiKey, ids: new Map(), last: {} },
  };
  const steps = o.recordings ? recordedSteps(o.recordings) : builtInSteps(o.fileUrl ?? DEFAULT_FILE_URL);
  const out: VerifyStep[] = [];
  try {
    for (const step of steps) {
      const started = systemClock.now();
      const request = `${step.method} ${step.path(sides.mock)}`;
      if (step.skipped) {
        out.push({ name: step.name, request, differences: [], skipped: step.skipped, durationMs: 0 });
        continue;
      }
      const [up, mock] = await Promise.all(
        (['upstream', 'mock'] as const).map((k) => exchange(sides[k], step, o.timeoutMs ?? 120_000)),
      );
      out.push({
        name: step.name,
        request,
        upstreamStatus: up!.status,
        mockStatus: mock!.status,
        differences: [...compare(up!, mock!), ...(step.poll ? compareFinal(up!, mock!) : [])],
        durationMs: systemClock.now() - started,
      });
    }
  } finally {
    await server.mock.close();
  }
  return { passed: out.every((s) => s.differences.length === 0), upstream: o.upstream, steps: out };
}

interface Answer {
  status: number;
  body: unknown;
  final?: { status: number; body: unknown };
}

async function call(
  side: Side,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`${side.base}${path}`, {
      method,
      headers: { 'x-api-key': side.key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON: compared as a string */
    }
    return { status: res.status, body: json };
  } catch (e) {
    return { status: 0, body: `no answer: ${(e as Error).message}` };
  }
}

/** One step on one side: the request, the ids its answer gives, and an async job's end. */
async function exchange(side: Side, step: Step, timeoutMs: number): Promise<Answer> {
  const first = await call(side, step.method, step.path(side), step.body?.(side));
  learn(side, first.body, step.recorded);
  if (!step.poll) return first;
  const jobId = findId(first.body, 'job_id');
  if (!jobId) return first;
  const deadline = systemClock.now() + timeoutMs;
  let final = first;
  // An upstream's job is only seen by asking: bounded in time, a quarter-second apart.
  while (systemClock.now() < deadline) {
    final = await call(side, 'GET', `/job/${encodeURIComponent(jobId)}`);
    const status = (final.body as { status?: unknown } | null)?.status;
    if (final.status !== 200 || status === 'completed' || status === 'failed' || status === 'canceled') break;
    await wallDelay(250);
  }
  learn(side, (final.body as { result?: unknown } | null)?.result, undefined);
  return { ...first, final };
}

/** Keeps the ids an answer gave (by canonical name, e.g. `extractionId` as `extraction_id`), and which recorded ids they stand for. */
function learn(side: Side, body: unknown, recorded: unknown): void {
  for (const name of ['extraction_id', 'job_id', 'split_id', 'schema_id', 'tables_id']) {
    const id = findId(body, name);
    if (id) side.last[name] = id;
  }
  if (recorded !== undefined) for (const [r, f] of pairIds(recorded, body)) side.ids.set(r, f);
}

function findId(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  for (const [k, v] of Object.entries(body)) if (canonicalKey(k) === name && typeof v === 'string') return v;
  return undefined;
}

const errorCode = (body: unknown): string => {
  const b = body as { error?: { code?: unknown }; code?: unknown } | null;
  const code = b?.error?.code ?? b?.code;
  return typeof code === 'string' ? code : '(none)';
};

function compare(up: { status: number; body: unknown }, mock: { status: number; body: unknown }): Difference[] {
  if (up.status !== mock.status)
    return [{ path: 'status', kind: 'status', upstream: String(up.status), mock: String(mock.status) }];
  if (up.status >= 400) {
    const [a, b] = [errorCode(up.body), errorCode(mock.body)];
    return a === b ? [] : [{ path: '$.error.code', kind: 'error-code', upstream: a, mock: b }];
  }
  return diffShapes(shapeOf(up.body), shapeOf(mock.body));
}

function compareFinal(up: Answer, mock: Answer): Difference[] {
  if (!up.final || !mock.final) return [];
  return compare(up.final, mock.final).map((d) =>
    d.kind === 'status'
      ? { ...d, upstream: `${d.upstream} (poll)`, mock: `${d.mock} (poll)` }
      : { ...d, path: d.path.replace(/^\$/, '$poll') },
  );
}

const describe = (d: Difference) =>
  d.kind === 'missing'
    ? `${d.path}: missing from the mock (upstream: ${d.upstream})`
    : d.kind === 'extra'
      ? `${d.path}: only in the mock (${d.mock})`
      : d.kind === 'renamed'
        ? `${d.path}: renamed: upstream "${d.upstream}", mock "${d.mock}"`
        : `${d.path}: ${d.kind}: upstream ${d.upstream}, mock ${d.mock}`;

export function formatVerifyReport(r: VerifyReport, reporter: ReporterName): string {
  if (reporter === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (reporter === 'junit')
    return junit(
      'pulse-mock verify',
      r.steps.map((s) => ({
        name: `${s.name} (${s.request})`,
        durationMs: s.durationMs,
        ...(s.skipped ? { skipped: s.skipped } : {}),
        failures: s.differences.map((d) => ({ message: describe(d), type: d.kind })),
      })),
    );
  const lines = r.steps.map((s) =>
    s.skipped
      ? `  - ${s.name}  skipped: ${s.skipped}`
      : s.differences.length === 0
        ? `  ✓ ${s.name}  ${s.request}`
        : `  ✗ ${s.name}  ${s.request}\n${s.differences.map((d) => `      ${describe(d)}`).join('\n')}`,
  );
  const count = r.steps.reduce((n, s) => n + s.differences.length, 0);
  return `[pulse-mock] verify: the mock's answers against ${r.upstream}\n${lines.join('\n')}\n${
    count === 0
      ? 'no drift'
      : `${count} difference${count === 1 ? '' : 's'}: the mock and the upstream have drifted apart`
  }\n`;
}
