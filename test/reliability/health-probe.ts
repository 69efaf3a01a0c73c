import { performance } from 'node:perf_hooks';

export interface HealthProbe {
  /**
   * Runs the test's own heavy preparation (building a 14 MB upload, a zip bomb) while probes are
   * not counted: the server shares this process, and the probe measures the server, not the test.
   */
  excluding<T>(prepare: () => T | Promise<T>): Promise<T>;
  stop(): Promise<{ worstMs: number; probes: number }>;
}

/**
 * Asks `GET /health` every `everyMs` while an attack runs, and measures each answer from the
 * moment it was due: a mock whose event loop is blocked answers late even when the probe's own
 * timer fired late (the server may run in this very process). The attack tests fail on a probe
 * slower than 1 s. A probe that overlaps a preparation run through `excluding` is not counted.
 */
export function probeHealth(baseUrl: string, everyMs = 200): HealthProbe {
  let start = performance.now();
  let stopped = false;
  let worstMs = 0;
  let probes = 0;
  const excluded: [number, number][] = [];
  let preparing = 0;
  const overlapsPreparation = (from: number, to: number) =>
    preparing > 0 || excluded.some(([a, b]) => from <= b && a <= to);
  const loop = (async () => {
    for (let k = 1; !stopped; k++) {
      const due = start + k * everyMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) break;
      const res = await fetch(`${baseUrl}/health`).catch(() => undefined);
      await res?.arrayBuffer();
      const done = performance.now();
      if (overlapsPreparation(due, done)) continue;
      worstMs = Math.max(worstMs, done - due);
      probes++;
    }
  })();
  return {
    async excluding(prepare) {
      const from = performance.now();
      preparing++;
      try {
        return await prepare();
      } finally {
        preparing--;
        excluded.push([from, performance.now()]);
        // Probes are due again from now, not from before the preparation.
        start = performance.now();
      }
    },
    async stop() {
      stopped = true;
      await loop;
      return { worstMs: Math.round(worstMs), probes };
    },
  };
}
