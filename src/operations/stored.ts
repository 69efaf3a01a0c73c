/**
 * What the operations that read a stored extraction (split, schema, tables) share: finding it,
 * rebuilding its document model (the same one its extract body came from), answering sync or
 * async with a job id that doubles as the run's id, and usage in Pulse's shape.
 */
import type { ApiCall } from '../api/contract.js';
import type { DocumentModel } from '../core/document-model.js';
import type { DocumentInfo } from '../core/documents.js';
import type { OutcomeOverrides } from '../core/outcomes.js';
import { overridesFrom } from '../core/overrides.js';
import type { AsyncSubmissionResponse, CoreResponse, JobContents, PulseCore } from '../core/pulse-core.js';
import type { ExtractOperation, StoredExtraction } from './extract/index.js';
import { operationOf } from './operation.js';
import type { PlanInfo } from './extract/result.js';

/** The document of a stored extraction, as a recipe a job can keep: regenerated on read. */
export interface ExtractionRef {
  extractionId: string;
  document: DocumentInfo;
  seed: number;
}

export function storedExtraction(call: ApiCall, extractionId: unknown): ExtractionRef {
  const extract = operationOf<ExtractOperation>(call, 'extract');
  const stored: StoredExtraction = extract.extraction(String(extractionId));
  return { extractionId: stored.extractionId, document: stored.document, seed: stored.seed };
}

/** The document model behind an extraction, optionally restricted to some of its pages; loaded on first use. */
export async function modelOf(ref: ExtractionRef, pages?: number[]): Promise<DocumentModel> {
  const { buildDocumentModel } = await import('../core/document-model.js');
  const document = pages
    ? { ...ref.document, pages: ref.document.pages.filter((p) => pages.includes(p)) }
    : ref.document;
  return buildDocumentModel(document, ref.seed);
}

export function usage(credits: number, pages: number): { credits_used: number; plan_info: PlanInfo } {
  return {
    credits_used: credits,
    plan_info: {
      tier: 'mock',
      total_credits_used: credits,
      pages_used: pages,
      note: 'Simulated usage from pulse-mock; no credits were spent.',
    },
  };
}

/**
 * Runs an operation: with `async: true` a job (polled and cancelled like any, with its webhooks),
 * otherwise now, stored as a completed job whose id is the run's id (or a 400 when its planned
 * outcome is failure, see `PulseCore.planSync`). Either way the body is the
 * kind's `result` of that job, made from the recipe on read (what `GET /job` shows too).
 */
export async function runOrSubmit<D>(
  core: PulseCore,
  kind: string,
  call: ApiCall,
  contents: JobContents<D> & { candidates: string[] },
  asyncReply: (accepted: CoreResponse<AsyncSubmissionResponse>) => CoreResponse<unknown> = (a) => a,
): Promise<CoreResponse<unknown>> {
  const { candidates, ...job } = contents;
  if (call.fields.async === true) {
    const overrides: OutcomeOverrides = overridesFrom(call.header);
    return asyncReply(await core.submit<D>(kind, { candidates, overrides, build: () => job }));
  }
  if (!call.outcomePlanned) core.planSync(candidates, overridesFrom(call.header));
  const record = core.recordSync<D>(kind, job);
  return { status: 200, body: (await core.getJob(record.id, call.baseUrl)).body.result };
}
