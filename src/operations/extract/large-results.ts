import type { DocumentInfo } from '../../core/documents.js';
import type { ExtractRequest } from './request.js';
import type { PlanInfo } from './result.js';

/** Documents with this many pages or more answer with a one-time URL instead of a body. */
export const LARGE_DOCUMENT_PAGES = 70;

/** What a large document returns instead of the full body. */
export interface LargeResultPointer {
  is_url: true;
  url: string;
  extraction_id?: string;
  page_count: number;
  plan_info: PlanInfo;
}

/** Credits and plan info of an extraction: cheap, known before any body is generated. */
export function usageOf(req: ExtractRequest, pages: number): { credits: number; planInfo: PlanInfo } {
  const credits = pages * (req.model === 'pulse-ultra-2' ? 2 : 1) + (req.structured?.usable ? pages : 0);
  return {
    credits,
    planInfo: {
      tier: 'mock',
      total_credits_used: credits,
      pages_used: pages,
      note: 'Simulated usage from pulse-mock; no credits were spent.',
    },
  };
}

/** The pointer for a large document, without generating the body it points to. */
export function largeResultPointer(
  req: ExtractRequest,
  doc: DocumentInfo,
  extractionId: string,
  url: string,
): LargeResultPointer {
  return {
    is_url: true,
    url,
    ...(req.storage ? { extraction_id: extractionId } : {}),
    page_count: doc.pages.length,
    plan_info: usageOf(req, doc.pages.length).planInfo,
  };
}
