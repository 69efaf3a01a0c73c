import { appendFileSync } from 'node:fs';

/** With RELIABILITY_REPORT=file (set by `npm run soak`), tests record their figures there. */
export function report(name: string, figures: Record<string, unknown>): void {
  const file = process.env.RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ name, ...figures })}\n`);
}
