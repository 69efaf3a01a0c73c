import { z } from 'zod';
import { JOB_EVENT_TYPES } from '../core/events.js';
import { API_ROUTES, SIGNATURE_FAULTS, type FaultRule } from './fault-plan.js';

/** The schema of a fault rule, shared by the config file and the admin API. */
const range = z.union([z.number().int().min(0).max(86_400_000), z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => a <= b, 'min must not exceed max')]);
const fault = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('duplicate'), copies: z.number().int().min(1).max(20), spacingMs: z.number().int().min(0).max(86_400_000).optional() }),
  z.strictObject({ kind: z.literal('delay'), ms: range }),
  z.strictObject({ kind: z.literal('reorder'), maxHoldMs: z.number().int().min(0).max(86_400_000).optional() }),
  z.strictObject({ kind: z.literal('drop') }),
  z.strictObject({ kind: z.literal('signature'), variant: z.enum([...SIGNATURE_FAULTS, 'random']) }),
  z.strictObject({ kind: z.literal('api-error'), status: z.union([z.literal(429), z.literal(500), z.literal(503)]), retryAfterS: z.number().int().min(0).max(86_400).optional() }),
  z.strictObject({ kind: z.literal('api-latency'), ms: range }),
]);
export const faultRuleSchema = z.strictObject({
  id: z.string().min(1).max(100).optional(),
  fault,
  scope: z
    .strictObject({
      endpointId: z.string().optional(),
      eventTypes: z.array(z.enum(JOB_EVENT_TYPES)).optional(),
      routes: z.array(z.enum(API_ROUTES)).optional(),
    })
    .optional(),
  when: z
    .union([
      z.strictObject({ probability: z.number().min(0).max(1) }),
      z.strictObject({ nth: z.array(z.number().int().min(1)).min(1) }),
      z.strictObject({ always: z.literal(true) }),
    ])
    .optional(),
});

/** Parses a list of rules; throws with `path: message` of the first problem. */
export function parseFaultRules(input: unknown, where = 'faults'): FaultRule[] {
  const r = z.array(faultRuleSchema).safeParse(input);
  if (r.success) return r.data as FaultRule[];
  const issue = r.error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new Error(`${where}${path}: ${issue.message}`);
}
