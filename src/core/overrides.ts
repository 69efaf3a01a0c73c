import { errors } from './errors.js';
import { MAX_FACTS_BYTES } from './pins.js';
import type { OutcomeOverrides } from './outcomes.js';

/** What `x-pulse-mock-*` headers set on one request: its job's outcome and timing, and its document's pages. */
export type RequestOverrides = OutcomeOverrides & {
  pages?: number;
  /** `x-pulse-mock-facts`: facts to fix in this request's document (JSON, names not yet checked). */
  facts?: Record<string, unknown>;
};

/** `x-pulse-mock-*` request headers: per-request control of the job's outcome (both adapters use this). */
export function overridesFrom(header: (name: string) => string | undefined | null): RequestOverrides {
  const out: RequestOverrides = {};
  const outcome = header('x-pulse-mock-outcome') ?? undefined;
  if (outcome !== undefined) {
    if (outcome !== 'completed' && outcome !== 'failed')
      throw errors.invalidParameter(
        'x-pulse-mock-outcome',
        'x-pulse-mock-outcome must be "completed" or "failed".',
        outcome,
      );
    out.outcome = outcome;
  }
  const ms = header('x-pulse-mock-processing-ms') ?? undefined;
  if (ms !== undefined) out.processingMs = intHeader('x-pulse-mock-processing-ms', ms, 0, 86_400_000);
  const pages = header('x-pulse-mock-pages') ?? undefined;
  if (pages !== undefined) out.pages = intHeader('x-pulse-mock-pages', pages, 1, 5000);
  const facts = header('x-pulse-mock-facts') ?? undefined;
  if (facts !== undefined) out.facts = factsHeader(facts);
  const error = header('x-pulse-mock-error') ?? undefined;
  if (error !== undefined && error !== '') out.error = error;
  return out;
}

function factsHeader(value: string): Record<string, unknown> {
  const name = 'x-pulse-mock-facts';
  if (Buffer.byteLength(value) > MAX_FACTS_BYTES)
    throw errors.invalidParameter(name, `${name} carries at most ${MAX_FACTS_BYTES} bytes of JSON.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw errors.invalidParameter(name, `${name} must be JSON, e.g. {"total": 1200}.`, value.slice(0, 120));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw errors.invalidParameter(name, `${name} must be a JSON object of fact names and values.`, parsed);
  return parsed as Record<string, unknown>;
}

function intHeader(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw errors.invalidParameter(name, `${name} must be an integer from ${min} to ${max}.`, value);
  return n;
}
