import { compilePattern } from './patterns.js';
import type { SeededRandom } from './random.js';

/**
 * Decides, at submission, how a job will end and how long it will take. In order: the
 * request's own headers (`x-pulse-mock-outcome`, `x-pulse-mock-processing-ms`), the first
 * config rule whose `match` fits the file name or URL, the seeded failure rate, then success.
 */
export interface OutcomeRule {
  match: string;
  outcome?: 'completed' | 'failed';
  error?: string;
  processingMs?: number;
  pages?: number;
}

export interface OutcomeOverrides {
  outcome?: 'completed' | 'failed';
  processingMs?: number;
  error?: string;
}

export interface PlannedOutcome {
  outcome: 'completed' | 'failed';
  processingMs: number;
  error?: string;
  pages?: number;
  /** Why: 'header', 'rule #N', 'failure-rate' or 'default', for the log. */
  reason: string;
}

const FAILURE_MESSAGES = [
  'Document could not be parsed: the PDF appears to be corrupted.',
  'The document is password-protected and cannot be processed.',
  'Failed to download file from the provided URL (HTTP 403).',
  'Processing timed out after 600 seconds.',
  'OCR engine failed on page 3: image resolution too low.',
];

export class OutcomePlanner {
  readonly #rules: (OutcomeRule & { test: (c: readonly string[]) => boolean })[];

  constructor(
    rules: readonly OutcomeRule[],
    private readonly defaults: { processingMs: number; failureRate: number },
    private readonly random: SeededRandom,
  ) {
    this.#rules = rules.map((r) => ({ ...r, test: compilePattern(r.match) }));
  }

  plan(candidates: readonly string[], overrides: OutcomeOverrides = {}): PlannedOutcome {
    // Draw from the stream for every job, used or not, so one header override does not shift
    // the outcomes of every later job under the same seed.
    const roll = this.random.next();
    const message = this.random.pick(FAILURE_MESSAGES);
    const index = this.#rules.findIndex((r) => r.test(candidates));
    const rule = index >= 0 ? this.#rules[index] : undefined;
    const processingMs = overrides.processingMs ?? rule?.processingMs ?? this.defaults.processingMs;
    const pages = rule?.pages;
    const withPages = pages === undefined ? {} : { pages };
    if (overrides.outcome) {
      const error = overrides.outcome === 'failed' ? { error: overrides.error ?? rule?.error ?? message } : {};
      return { outcome: overrides.outcome, processingMs, ...error, ...withPages, reason: 'header' };
    }
    if (rule?.outcome) {
      const error = rule.outcome === 'failed' ? { error: rule.error ?? message } : {};
      return {
        outcome: rule.outcome,
        processingMs,
        ...error,
        ...withPages,
        reason: `rule #${index + 1} (${rule.match})`,
      };
    }
    if (roll < this.defaults.failureRate)
      return { outcome: 'failed', processingMs, error: message, ...withPages, reason: 'failure-rate' };
    return {
      outcome: 'completed',
      processingMs,
      ...withPages,
      reason: rule ? `rule #${index + 1} (${rule.match})` : 'default',
    };
  }
}
