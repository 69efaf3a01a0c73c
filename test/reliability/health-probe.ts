import { performance } from 'node:perf_hooks';

/**
 * Asks `GET /health` every `everyMs` while an attack runs, and measures each answer from the
 * moment it was due: a mock whose event loop is blocked answers late even when the probe's own
 * timer fired late (the server may run in this very process). The attack tests fail on a probe
 * slower than 1 s.
 */
export function probeHealth(baseUrl: string, everyMs = 200): { stop(): Promise<{ worstMs: number; probes: number }> } {
  const start = performance.now();
  let stopped = false;
  let worstMs = 0;
  let probes = 0;
  const loop = (async () => {
    for (let k = 1; !stopped; k++) {
      const due = start + k * everyMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) break;
      const res = await fetch(`${baseUrl}/health`).catch(() => undefined);
      await res?.arrayBuffer();
      worstMs = Math.max(worstMs, performance.now() - due);
      probes++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { worstMs: Math.round(worstMs), probes };
    },
  };
}
