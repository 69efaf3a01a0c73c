import { errors } from './errors.js';
import type { OutcomeOverrides } from './outcomes.js';

/** What `x-pulse-mock-*` headers set on one request: its job's outcome and timing, and its document's pages. */
export type RequestOverrides = OutcomeOverrides & { pages?: number };

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
  const error = header('x-pulse-mock-error') ?? undefined;
  if (error !== undefined && error !== '') out.error = error;
  return out;
}

function intHeader(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw errors.invalidParameter(name, `${name} must be an integer from ${min} to ${max}.`, value);
  return n;
}
