import { LIMITS } from '../api/limits.js';
import { JOB_EVENT_TYPES } from '../core/events.js';
import { pathLabel, settingsChecker, type JsonSchema } from '../settings-schema.js';
import { MAX_API_LATENCY_MS } from './fault-engine.js';
import { SIGNATURE_FAULTS, type FaultRule } from './fault-plan.js';

const DAY_MS = 86_400_000;
const int = (minimum: number, maximum?: number): JsonSchema => ({
  type: 'integer',
  minimum,
  ...(maximum !== undefined ? { maximum } : {}),
});
const obj = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
/** Milliseconds, or a [min, max] range to draw from. */
const range: JsonSchema = {
  anyOf: [
    int(0, DAY_MS),
    { type: 'array', items: [int(0, DAY_MS), int(0, DAY_MS)], minItems: 2, maxItems: 2, additionalItems: false },
  ],
};
/** API latency: at most a minute per call (stacked rules too), well inside --request-timeout-ms's default. */
const latencyRange: JsonSchema = {
  anyOf: [
    int(0, MAX_API_LATENCY_MS),
    {
      type: 'array',
      items: [int(0, MAX_API_LATENCY_MS), int(0, MAX_API_LATENCY_MS)],
      minItems: 2,
      maxItems: 2,
      additionalItems: false,
    },
  ],
};
const kind = (k: string, properties: Record<string, JsonSchema> = {}, required: string[] = []) =>
  obj({ kind: { const: k }, ...properties }, ['kind', ...required]);

/**
 * The JSON Schema of a fault rule, shared by the config file and the admin API. `routes`: the
 * route names a runtime serves, when known (a runtime checks them, `checkFaultRoutes`; reading
 * the config needs no operation loaded).
 */
export const faultRuleSchema = (routes?: readonly string[]): JsonSchema =>
  obj(
    {
      id: { type: 'string', minLength: 1, maxLength: 100 },
      fault: {
        type: 'object',
        discriminator: { propertyName: 'kind' },
        required: ['kind'],
        oneOf: [
          kind('duplicate', { copies: int(1, 20), spacingMs: int(0, DAY_MS) }, ['copies']),
          kind('delay', { ms: range }, ['ms']),
          kind('reorder', { maxHoldMs: int(0, DAY_MS) }),
          kind('drop'),
          kind('signature', { variant: { enum: [...SIGNATURE_FAULTS, 'random'] } }, ['variant']),
          kind('api-error', { status: { enum: [429, 500, 503] }, retryAfterS: int(0, 86_400) }, ['status']),
          kind('api-latency', { ms: latencyRange }, ['ms']),
        ],
      },
      scope: obj({
        endpointId: { type: 'string', maxLength: LIMITS.idLength },
        eventTypes: { type: 'array', items: { enum: [...JOB_EVENT_TYPES] }, maxItems: LIMITS.faultListItems },
        routes: {
          type: 'array',
          items: routes ? { enum: [...routes] } : { type: 'string', minLength: 1, maxLength: LIMITS.idLength },
          maxItems: LIMITS.faultListItems,
        },
      }),
      when: {
        anyOf: [
          obj({ probability: { type: 'number', minimum: 0, maximum: 1 } }, ['probability']),
          obj({ nth: { type: 'array', items: int(1, 1_000_000_000), minItems: 1, maxItems: LIMITS.faultListItems } }, [
            'nth',
          ]),
          obj({ always: { const: true } }, ['always']),
        ],
      },
    },
    ['fault'],
  );

/** The checker of rule lists, made on first use. */
let checker: ReturnType<typeof settingsChecker<FaultRule[]>> | undefined;
function checkRules(input: unknown) {
  checker ??= settingsChecker<FaultRule[]>({ type: 'array', items: faultRuleSchema(), maxItems: LIMITS.faultRules });
  return checker(input);
}

/** Every route a rule scopes to is one `routes` (a runtime's route names) has; throws with `path: message`. */
export function checkFaultRoutes(rules: readonly FaultRule[], routes: readonly string[], where = 'faults'): void {
  rules.forEach((rule, i) =>
    rule.scope?.routes?.forEach((route, j) => {
      if (!routes.includes(route))
        throw new Error(
          `${pathLabel(where, [i, 'scope', 'routes', j])}: no route is named "${route}"; routes are ${routes.join(', ')}`,
        );
    }),
  );
}

/** Parses a list of rules (their route names against `routes` when given); throws with `path: message` of the first problem. */
export function parseFaultRules(input: unknown, where = 'faults', routes?: readonly string[]): FaultRule[] {
  if (Array.isArray(input) && input.length === 0) return []; // nothing to compile the schema for
  const r = checkRules(input);
  if (!r.ok) throw new Error(`${pathLabel(where, r.problem.path)}: ${r.problem.message}`);
  r.value.forEach((rule, i) => {
    const ms = 'ms' in rule.fault ? rule.fault.ms : undefined;
    if (Array.isArray(ms) && ms[0] > ms[1])
      throw new Error(`${pathLabel(where, [i, 'fault', 'ms'])}: min must not exceed max`);
  });
  if (routes) checkFaultRoutes(r.value, routes, where);
  return r.value;
}
