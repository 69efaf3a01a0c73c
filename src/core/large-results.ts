import type { ExtractResult, PlanInfo } from './result-generator.js';

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

export function largeResultPointer(result: ExtractResult, url: string): LargeResultPointer {
  return {
    is_url: true,
    url,
    ...(result.extraction_id ? { extraction_id: result.extraction_id } : {}),
    page_count: result.page_count,
    plan_info: result.plan_info,
  };
}
