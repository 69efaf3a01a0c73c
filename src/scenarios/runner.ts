import { awaitedDeadline, SkippingClock, type Timer, systemClock } from '../clock.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { seedFrom } from '../core/random.js';
import type { PulseMockOptions } from '../index.js';
import { startFromOptions } from '../server/start.js';
import { createContext, type Assertion } from './context.js';
import type { Scenario } from './define.js';
import type { Reporter, ScenarioResult } from './reporters.js';
import { effectsOption, resolveTarget, type TargetOptions } from './consumer-target.js';

/** The package's own folder (works from src/ under tsx and from dist/ when installed). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pulse-mock')
      return dir;
    dir = dirname(dir);
  }
  throw new Error('[pulse-mock] cannot find the package folder');
}

export function builtInScenarioDir(): string {
  return join(packageRoot(), 'scenarios');
}

export function listBuiltInScenarios(): string[] {
  return readdirSync(builtInScenarioDir())
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

/** A built-in scenario by name, or a scenario file (TS through tsx, or JS). */
export async function loadScenario(nameOrFile: string, cwd = process.cwd()): Promise<Scenario> {
  const builtIn = join(builtInScenarioDir(), `${nameOrFile}.ts`);
  const file = existsSync(builtIn) ? builtIn : resolve(cwd, nameOrFile);
  if (!existsSync(file)) {
    throw new Error(`no scenario "${nameOrFile}": not a built-in (${listBuiltInScenarios().join(', ')}) nor a file`);
  }
  const { tsImport } = await import('tsx/esm/api');
  const mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as {
    default?: Scenario | { default?: Scenario };
  };
  const s = mod.default && 'run' in mod.default ? mod.default : mod.default?.default;
  if (!s || typeof s.run !== 'function' || !s.name)
    throw new Error(`${file} must \`export default defineScenario({ name, description, run })\``);
  return s;
}

export interface RunOptions extends TargetOptions {
  seed?: number;
  reporter: Reporter;
  /** Extra mock options for every scenario (tests use this). */
  mock?: Partial<PulseMockOptions>;
}

/** The mock settings scenarios start from: quick jobs, quick retries, quiet. */
export const SCENARIO_DEFAULTS: Partial<PulseMockOptions> = {
  processingMs: 300,
  queueMs: 50,
  retrySchedule: [250, 500, 1000, 2000],
  deliveryTimeoutMs: 5000,
};

export async function runScenarios(scenarios: Scenario[], o: RunOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  for (const s of scenarios) results.push(await runOne(s, { ...o, seed }));
  o.reporter.finish(results, { seed });
  return results;
}

async function runOne(s: Scenario, o: RunOptions & { seed: number }): Promise<ScenarioResult> {
  const assertions: Assertion[] = [];
  const logs: string[] = [];
  o.reporter.start(s.name, s.description);
  const started = systemClock.now();
  const target = resolveTarget(o.target);
  // A simulated outage: the consumer refuses connections until then (mock time), whatever kind it is.
  let downUntil = 0;
  // Jobs, retries and fault timers skip ahead whenever the scenario waits and nothing is in flight.
  const clock = new SkippingClock();
  const server = await startFromOptions(
    {
      ...SCENARIO_DEFAULTS,
      ...s.mock,
      ...o.mock,
      port: o.apiPort ?? 0,
      // Each scenario gets its own seed from the run's, so job and message ids never repeat
      // across the scenarios of one run (a consumer's dedupe store would swallow them).
      seed: seedFrom(o.seed, s.name),
      webhookUrl: [target.url],
      webhookSecret: o.secret,
      clock,
    },
    {
      transport: async (req) => {
        if (clock.now() < downUntil) throw new Error('ECONNREFUSED: the consumer is down (a simulated outage)');
        const release = clock.hold();
        try {
          return await target.transport(req);
        } finally {
          release();
        }
      },
    },
  );
  const startupMs = systemClock.now() - started;
  const cleanups: (() => Promise<void>)[] = [];
  const { mock } = server;
  await o.onApi?.(mock.url);
  const ctx = createContext(server, {
    onCleanup: (fn) => cleanups.push(fn),
    target,
    secret: o.secret,
    setDownUntil: (at) => (downUntil = at),
    ...effectsOption(o),
    onAssertion: (a) => {
      assertions.push(a);
      o.reporter.assertion(a);
    },
    onLog: (m) => {
      logs.push(m);
      o.reporter.log(m);
    },
  });
  const timeoutMs = s.timeoutMs ?? 60_000;
  let timer: Timer | undefined;
  try {
    await Promise.race([
      s.run(ctx),
      new Promise((_, reject) => {
        timer = awaitedDeadline(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    ctx.expect(false, 'scenario ran to the end', (e as Error).message);
  } finally {
    timer?.cancel();
    await mock.close();
    for (const fn of cleanups) await fn().catch(() => {});
  }
  const deliveries = mock.messages().map((d) => ({
    messageId: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts.length,
    faults: [...d.faults],
    attemptFaults: d.attempts.map((a) => a.fault ?? ''),
  }));
  if (assertions.length === 0)
    ctx.expect(false, 'scenario made at least one assertion', 'a scenario without assertions proves nothing');
  const result: ScenarioResult = {
    name: s.name,
    description: s.description,
    passed: assertions.every((a) => a.passed),
    durationMs: systemClock.now() - started,
    startupMs,
    skippedMs: Math.round(clock.skippedMs),
    idleMs: Math.round(clock.idleMs),
    ...(s.realDelay ? { realDelay: s.realDelay } : {}),
    assertions,
    logs,
    deliveries,
  };
  o.reporter.end(result);
  return result;
}
