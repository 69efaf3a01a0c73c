import { DOCUMENT_KINDS, type DocumentKind } from './core/document-kinds.js';
import { ConfigError } from './config-error.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import bytes from 'bytes';
import { JOB_EVENT_TYPES } from './core/events.js';
import { RetrySchedule, SVIX_RETRY_SCHEDULE_MS } from './delivery/retry-schedule.js';
import { SIGNATURE_FAULTS, type FaultRule, type Range } from './faults/fault-plan.js';
import { faultRuleSchema, parseFaultRules } from './faults/validate.js';
import { randomSeed } from './core/random.js';
import { pathLabel, settingsChecker, type JsonSchema } from './settings-schema.js';

/**
 * One way to configure: defaults < config file < env (`PULSE_MOCK_*`) < CLI flags (or the
 * options object of `createPulseMock`), resolved into one typed, validated `MockConfig`.
 * Each bad value gets one line naming where it came from and what is expected.
 */
export interface MockConfig {
  port: number;
  host: string;
  /** When unset, any non-empty key is accepted. */
  apiKey?: string;
  seed: number;
  /** True when the seed was generated for this run rather than given. */
  seedGenerated: boolean;
  processingMs: number;
  queueMs: number;
  failureRate: number;
  bodyLimit: number;
  /** The largest JSON or form body, except on routes whose JSON carries files (base64). */
  jsonBodyLimit: number;
  /** A request not received whole within this time is answered 408 and closed. */
  requestTimeoutMs: number;
  maxJobs: number;
  /** Webhook endpoints at most; adding one more is a 400. */
  maxEndpoints: number;
  /** Deliveries not yet finished (pending or sending, retries included) past which async submissions get 503 BACKLOG_FULL. */
  maxPending: number;
  /** Past this many deliveries waiting to be sent, async submissions wait for them (0: never). */
  maxBacklog: number;
  asyncStatusCode: 200 | 202;
  json: boolean;
  quiet: boolean;
  /** Consumer URLs from `--webhook-url` (signed with `webhookSecret`). */
  webhookUrl: string[];
  /** The event types the `--webhook-url` endpoints take (`--webhook-events`); every type when empty. */
  webhookEvents: string[];
  /** The admin API's token (`--admin-token`), so a script knows it in advance; generated when unset. */
  adminToken?: string;
  /** Host names answered besides localhost and loopback addresses while listening on loopback (DNS-rebinding guard). */
  allowedHosts: string[];
  /** Secret for endpoints that name none; generated at start when unset. */
  webhookSecret?: string;
  headerPrefix: 'webhook' | 'svix';
  deliveryTimeoutMs: number;
  /** Delays between attempts (ms); Svix's by default. */
  retrySchedule: number[];
  /** How far each retry's delay strays either way, 0..0.5, drawn from the seed; Svix's 0.2 by default. */
  retryJitter: number;
  /** Multiplies every mock-time delay (retries, job timing); 0.001 turns 5 min into 300 ms. */
  timeScale: number;
  deliveryConcurrency: number;
  /** How long a rotated-out secret keeps signing (mock time). */
  rotationGraceMs: number;
  /** Fault shorthands (flags/env); `faults` below holds them expanded, with the config file's rules. */
  duplicateRate: number;
  duplicateCount: number;
  delayMs?: Range;
  badSignatureRate: number;
  badSignatureKind: string;
  reorderRate: number;
  dropRate: number;
  apiErrorRate: number;
  apiErrorStatus: 429 | 500 | 503;
  apiLatencyMs?: Range;
  outcomes: OutcomeRuleConfig[];
  documents: DocumentRuleConfig[];
  endpoints: EndpointConfig[];
  /** Saved configurations Pulse keeps in its platform, named by id in requests (`split_config_id`, ...). */
  presets: PresetConfig[];
  /** Every fault rule in force at start: the config file's, then the shorthands'. */
  faults: FaultRule[];
  /** The config file that was read, if any. */
  configFile?: string;
  /** `--state FILE`: keep jobs, endpoints and pending deliveries across restarts. */
  state?: string;
  /** The only directory a batch's `output.local_path` may write into. */
  outputDir: string;
  /** How many files a batch's `input.s3_prefix` stands for. */
  s3PrefixItems: number;
  /** `--recordings DIR`: answer requests that match a recording with its recorded body. */
  recordings?: string;
  /** `--recordings-strict`: a request that matches no recording fails instead of getting a generated result. */
  recordingsStrict: boolean;
}

/** A saved configuration: `extractionConfigId` (extract options), `split_config_id` (topics), `schema_config_id` (a schema config). */
/** A saved configuration: its id, the kind of operation it configures, and that operation's fields. */
export type PresetConfig = { id: string; kind: string; [field: string]: unknown };

export interface OutcomeRuleConfig {
  match: string;
  outcome?: 'completed' | 'failed';
  error?: string;
  processingMs?: number;
  pages?: number;
}

export interface DocumentRuleConfig {
  match: string;
  pages?: number;
  kind?: DocumentKind;
  title?: string;
  /**
   * Facts the document states, by the synonym table's names (`total`, `customer_name`,
   * `line_items`, `transactions`, `pages`): printed in its markdown and read by every output.
   */
  facts?: Record<string, unknown>;
}

export interface EndpointConfig {
  url: string;
  description?: string;
  secret?: string;
  eventTypes?: string[];
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
}

export { ConfigError };

/** A value that does not parse (a size, a schedule, a range); reported like a schema mismatch. */
const INVALID = Symbol('invalid');
/** A setting's check, and what a config file may hold for it (for editors: pulse-mock.config.schema.json). */
type Check = ((raw: unknown) => { ok: true; value: unknown } | { ok: false }) & { fileSchema: JsonSchema };

/** A JSON Schema for the value (strings coerced: flags and env vars are strings), after an optional parse of its string form. */
/** A list given as one string (`a,b`), as repeated flags (`['a', 'b']`), or both (`['a,b', 'c']`). */
const commaList = (v: unknown): unknown =>
  typeof v === 'string'
    ? v.split(/[,\s]+/).filter(Boolean)
    : Array.isArray(v)
      ? (v as unknown[]).flatMap((x) => (typeof x === 'string' ? x.split(/[,\s]+/).filter(Boolean) : [x]))
      : v;

function check(schema: JsonSchema, parse?: (v: unknown) => unknown, fileSchema: JsonSchema = schema): Check {
  const checker = settingsChecker(schema, { coerce: true });
  const run = (raw: unknown) => {
    const v = parse ? parse(raw) : raw;
    return v === INVALID ? { ok: false as const } : checker(v);
  };
  return Object.assign(run, { fileSchema });
}
const int = (minimum: number, maximum: number): JsonSchema => ({ type: 'integer', minimum, maximum });
const intIn = (min: number, max: number) => check(int(min, max));
const probability = check({ type: 'number', minimum: 0, maximum: 1 });
const nonEmpty = check({ type: 'string', minLength: 1 });
const boolish = check({ type: 'boolean' }, (v) =>
  v === 'true' || v === '1' ? true : v === 'false' || v === '0' || v === '' ? false : v,
);
const oneOf = (type: 'string' | 'integer', values: readonly (string | number)[]) => check({ type, enum: [...values] });

/** "5s,5m,30m" or [5000, "5m"] -> delays in ms. */
function scheduleOf(v: unknown): number[] | typeof INVALID {
  if (typeof v !== 'string' && !Array.isArray(v)) return INVALID;
  try {
    return [...RetrySchedule.parse(Array.isArray(v) ? v.join(',') : v).delaysMs];
  } catch {
    return INVALID;
  }
}
const RANGE_IN_FILE: JsonSchema = {
  anyOf: [int(0, 86_400_000), { type: 'string', pattern: '^\\s*\\d+\\s*(-\\s*\\d+\\s*)?$' }],
};

/** A size in bytes: an integer, or a string such as 10mb or 512kb. */
const SIZE = check(
  { type: 'integer', minimum: 1 },
  (v) => (typeof v === 'string' && !/^\s*\d+\s*$/.test(v) ? (bytes.parse(v) ?? INVALID) : v),
  {
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtTpP]?[bB])?\\s*$' },
    ],
  },
);

/** The scalar settings: how each is spelled as a flag and an env var, and what it accepts. */
const SCALARS = {
  port: {
    flag: 'port',
    expect: 'an integer from 0 to 65535 (0 picks a free port)',
    schema: intIn(0, 65535),
    default: 4050,
  },
  host: { flag: 'host', expect: 'a host name or IP address', schema: nonEmpty, default: '127.0.0.1' },
  apiKey: { flag: 'api-key', expect: 'a non-empty string', schema: nonEmpty, default: undefined },
  seed: { flag: 'seed', expect: 'an integer from 0 to 4294967295', schema: intIn(0, 4294967295), default: undefined },
  processingMs: {
    flag: 'processing-ms',
    expect: 'an integer number of milliseconds from 0 to 86400000',
    schema: intIn(0, 86_400_000),
    default: 1000,
  },
  queueMs: {
    flag: 'queue-ms',
    expect: 'an integer number of milliseconds from 0 to 86400000',
    schema: intIn(0, 86_400_000),
    default: 100,
  },
  failureRate: { flag: 'failure-rate', expect: 'a number from 0 to 1', schema: probability, default: 0 },
  bodyLimit: {
    flag: 'body-limit',
    expect: 'a size such as 52428800, 10mb or 512kb',
    schema: SIZE,
    default: 50 * 1024 * 1024,
  },
  jsonBodyLimit: {
    flag: 'json-body-limit',
    expect: 'a size such as 1048576, 1mb or 512kb',
    schema: SIZE,
    default: 1024 * 1024,
  },
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    expect: 'an integer number of milliseconds from 1000 to 3600000',
    schema: intIn(1000, 3_600_000),
    default: 120_000,
  },
  maxBacklog: {
    flag: 'max-backlog',
    expect: 'an integer from 0 to 10000000 (0: no limit)',
    schema: intIn(0, 10_000_000),
    default: 20_000,
  },
  maxJobs: { flag: 'max-jobs', expect: 'an integer from 1 to 10000000', schema: intIn(1, 10_000_000), default: 10_000 },
  maxEndpoints: { flag: 'max-endpoints', expect: 'an integer from 1 to 10000', schema: intIn(1, 10_000), default: 100 },
  maxPending: {
    flag: 'max-pending',
    expect: 'an integer from 1 to 10000000',
    schema: intIn(1, 10_000_000),
    default: 1_000_000,
  },
  asyncStatusCode: {
    flag: 'async-status-code',
    expect: '200 or 202',
    schema: oneOf('integer', [200, 202]),
    default: 200,
  },
  webhookUrl: {
    flag: 'webhook-url',
    expect: 'one or more http(s) URLs (repeat the flag, or separate with commas)',
    schema: check({ type: 'array', items: { type: 'string', format: 'http-url' } }, commaList, {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', format: 'http-url' } }],
    }),
    default: [],
  },
  webhookEvents: {
    flag: 'webhook-events',
    expect: `event types, separated with commas, of ${JOB_EVENT_TYPES.join(', ')}`,
    schema: check({ type: 'array', items: { enum: [...JOB_EVENT_TYPES] }, maxItems: 10 }, commaList, {
      anyOf: [{ type: 'string' }, { type: 'array', items: { enum: [...JOB_EVENT_TYPES] } }],
    }),
    default: [],
  },
  adminToken: {
    flag: 'admin-token',
    expect: 'a token of 16 to 256 URL-safe characters',
    schema: check({ type: 'string', pattern: '^[A-Za-z0-9._~-]{16,256}$' }),
    default: undefined,
  },
  allowedHosts: {
    flag: 'allowed-host',
    expect: 'one or more host names (repeat the flag, or separate with commas), e.g. pulse-mock.test',
    schema: check(
      { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,253}$' }, maxItems: 100 },
      commaList,
      {
        anyOf: [
          { type: 'string' },
          { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,253}$' }, maxItems: 100 },
        ],
      },
    ),
    default: [],
  },
  webhookSecret: {
    flag: 'webhook-secret',
    expect: 'a whsec_ secret (whsec_ + base64 of 24..64 bytes)',
    schema: check({ type: 'string', format: 'whsec' }),
    default: undefined,
  },
  headerPrefix: {
    flag: 'header-prefix',
    expect: 'webhook or svix',
    schema: oneOf('string', ['webhook', 'svix']),
    default: 'webhook',
  },
  deliveryTimeoutMs: {
    flag: 'delivery-timeout-ms',
    expect: 'an integer number of milliseconds from 1 to 600000',
    schema: intIn(1, 600_000),
    default: 15_000,
  },
  retrySchedule: {
    flag: 'retry-schedule',
    expect: 'comma-separated delays such as 5s,5m,30m (or milliseconds); empty for no retries',
    schema: check({ type: 'array', items: { type: 'integer', minimum: 0 } }, scheduleOf, {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: ['integer', 'string'] } }],
    }),
    default: [...SVIX_RETRY_SCHEDULE_MS],
  },
  retryJitter: {
    flag: 'retry-jitter',
    expect: 'a number from 0 to 0.5 (0 turns jitter off)',
    schema: check({ type: 'number', minimum: 0, maximum: 0.5 }),
    default: 0.2,
  },
  timeScale: {
    flag: 'time-scale',
    expect: 'a number greater than 0 and at most 1000',
    schema: check({ type: 'number', exclusiveMinimum: 0, maximum: 1000 }),
    default: 1,
  },
  deliveryConcurrency: {
    flag: 'delivery-concurrency',
    expect: 'an integer from 1 to 1000',
    schema: intIn(1, 1000),
    default: 10,
  },
  rotationGraceMs: {
    flag: 'rotation-grace-ms',
    expect: 'an integer number of milliseconds from 0 to 604800000',
    schema: intIn(0, 604_800_000),
    default: 86_400_000,
  },
  duplicateRate: { flag: 'duplicate-rate', expect: 'a probability from 0 to 1', schema: probability, default: 0 },
  duplicateCount: { flag: 'duplicate-count', expect: 'an integer from 1 to 20', schema: intIn(1, 20), default: 1 },
  delayMs: {
    flag: 'delay-ms',
    expect: 'milliseconds, or a range MIN-MAX such as 100-2000',
    schema: check({}, rangeOf, RANGE_IN_FILE),
    default: undefined,
  },
  badSignatureRate: {
    flag: 'bad-signature-rate',
    expect: 'a probability from 0 to 1',
    schema: probability,
    default: 0,
  },
  badSignatureKind: {
    flag: 'bad-signature-kind',
    expect: `random or one of ${SIGNATURE_FAULTS.join(', ')}`,
    schema: oneOf('string', ['random', ...SIGNATURE_FAULTS]),
    default: 'random',
  },
  reorderRate: { flag: 'reorder-rate', expect: 'a probability from 0 to 1', schema: probability, default: 0 },
  dropRate: { flag: 'drop-rate', expect: 'a probability from 0 to 1', schema: probability, default: 0 },
  apiErrorRate: { flag: 'api-error-rate', expect: 'a probability from 0 to 1', schema: probability, default: 0 },
  apiErrorStatus: {
    flag: 'api-error-status',
    expect: '429, 500 or 503',
    schema: oneOf('integer', [429, 500, 503]),
    default: 503,
  },
  apiLatencyMs: {
    flag: 'api-latency-ms',
    expect: 'milliseconds up to 60000, or a range MIN-MAX such as 50-300',
    schema: check({}, rangeUpTo(60_000), RANGE_IN_FILE),
    default: undefined,
  },
  state: { flag: 'state', expect: 'a file path', schema: nonEmpty, default: undefined },
  outputDir: { flag: 'output-dir', expect: 'a directory path', schema: nonEmpty, default: 'pulse-mock-output' },
  s3PrefixItems: { flag: 's3-prefix-items', expect: 'an integer from 1 to 1000', schema: intIn(1, 1000), default: 3 },
  recordings: { flag: 'recordings', expect: 'a directory path', schema: nonEmpty, default: undefined },
  recordingsStrict: { flag: 'recordings-strict', expect: 'true or false', schema: boolish, default: false },
  json: { flag: 'json', expect: 'true or false', schema: boolish, default: false },
  quiet: { flag: 'quiet', expect: 'true or false', schema: boolish, default: false },
} as const;

type ScalarKey = keyof typeof SCALARS;
export const CONFIG_FLAGS: readonly {
  key: ScalarKey;
  flag: string;
  env: string;
  expect: string;
  /** What applies when nothing sets it (for `--help`). */
  default: unknown;
}[] = (Object.keys(SCALARS) as ScalarKey[]).map((key) => ({
  key,
  flag: SCALARS[key].flag,
  env: envName(SCALARS[key].flag),
  expect: SCALARS[key].expect,
  default: SCALARS[key].default,
}));

const obj = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const match: JsonSchema = { type: 'string', minLength: 1, format: 'match-pattern' };
const outcomeRule = obj(
  {
    match,
    outcome: { enum: ['completed', 'failed'] },
    error: { type: 'string', minLength: 1 },
    processingMs: int(0, 86_400_000),
    pages: int(1, 5000),
  },
  ['match'],
);
const documentRule = obj(
  {
    match,
    pages: int(1, 5000),
    kind: { enum: [...DOCUMENT_KINDS] },
    title: { type: 'string' },
    facts: {
      type: 'object',
      maxProperties: 100,
      description:
        'Facts the document states, by the synonym table\'s names: {"total": 1200, "customer_name": "Ada Lovelace"}',
    },
  },
  ['match'],
);
const endpointRule = obj(
  {
    url: { type: 'string', format: 'http-url' },
    description: { type: 'string' },
    secret: { type: 'string', format: 'whsec' },
    eventTypes: { type: 'array', items: { enum: [...JOB_EVENT_TYPES] } },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    basicAuth: obj({ username: { type: 'string', minLength: 1 }, password: { type: 'string' } }, [
      'username',
      'password',
    ]),
  },
  ['url'],
);
const presetId: JsonSchema = { type: 'string', minLength: 1, maxLength: 200 };
/**
 * A preset as the config file holds it: an id and the kind of the operation it configures, the
 * rest that operation's own (checked against the operation's preset schema when the mock starts:
 * `checkPresets` in operations/operation.ts).
 */
const presetRule: JsonSchema = {
  type: 'object',
  properties: { id: presetId, kind: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['id', 'kind'],
};
const LISTS = {
  outcomes: settingsChecker({ type: 'array', items: outcomeRule }, { coerce: true }),
  documents: settingsChecker({ type: 'array', items: documentRule }, { coerce: true }),
  endpoints: settingsChecker({ type: 'array', items: endpointRule }, { coerce: true }),
  presets: settingsChecker({ type: 'array', items: presetRule }),
} as const;

/**
 * The JSON Schema of `pulse-mock.config.json`, for editors; shipped as `pulse-mock.config.schema.json`.
 * What the operations declare, for editors to check too: `presetKinds` (each one's preset entries)
 * and `routeNames` (what fault rules may scope to).
 */
export function configFileSchema(
  presetKinds: readonly { kind: string; schema: JsonSchema }[] = [],
  routeNames?: readonly string[],
): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    $schema: { type: 'string', description: 'This schema: ./node_modules/pulse-mock/pulse-mock.config.schema.json' },
    $comment: { type: 'string' },
  };
  for (const key of Object.keys(SCALARS) as ScalarKey[]) {
    const spec = SCALARS[key];
    properties[key] = {
      ...spec.schema.fileSchema,
      description: `${spec.expect[0]?.toUpperCase()}${spec.expect.slice(1)} (flag --${spec.flag}, env ${envName(spec.flag)})`,
    };
  }
  properties.outcomes = {
    type: 'array',
    items: outcomeRule,
    description: 'Which jobs fail or take longer, by file name or URL (glob or /regex/); first match wins',
  };
  properties.documents = {
    type: 'array',
    items: documentRule,
    description: 'Page counts, kinds and titles of documents, by file name or URL (glob or /regex/)',
  };
  properties.endpoints = { type: 'array', items: endpointRule, description: 'Webhook endpoints registered at start' };
  properties.presets = {
    type: 'array',
    items: presetKinds.length
      ? {
          anyOf: presetKinds.map(({ kind, schema }) => {
            const s = schema as { properties?: object; required?: string[] };
            return {
              ...schema,
              properties: { id: presetId, kind: { const: kind }, ...s.properties },
              required: ['id', 'kind', ...(s.required ?? [])],
            };
          }),
        }
      : presetRule,
    description:
      'Saved configurations named by id in requests: extractionConfigId (kind extraction), split_config_id (kind split), schema_config_id (kind schema)',
  };
  properties.faults = {
    type: 'array',
    items: faultRuleSchema(routeNames),
    description: 'Fault rules in force from the start (the admin API can change them)',
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'pulse-mock config file',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

/** "250" or "100-2000" -> 250 or [100, 2000], each at most `max` ms. */
function rangeUpTo(max: number): (v: unknown) => Range | typeof INVALID {
  return (v) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(String(v));
    const [a, b] = [Number(m?.[1]), m?.[2] === undefined ? undefined : Number(m[2])];
    if (!m || a > max || (b !== undefined && (b < a || b > max))) return INVALID;
    return b === undefined ? a : [a, b];
  };
}
function rangeOf(v: unknown): Range | typeof INVALID {
  return rangeUpTo(86_400_000)(v);
}

/** The `start` shorthands as fault rules (probabilities drawn from the seed). */
function shorthandFaults(c: Record<string, unknown>): FaultRule[] {
  const rules: FaultRule[] = [];
  const p = (x: unknown) => x as number;
  if (p(c.duplicateRate) > 0)
    rules.push({
      id: 'duplicate-rate',
      fault: { kind: 'duplicate', copies: p(c.duplicateCount), spacingMs: 0 },
      when: { probability: p(c.duplicateRate) },
    });
  if (c.delayMs !== undefined) rules.push({ id: 'delay-ms', fault: { kind: 'delay', ms: c.delayMs as Range } });
  if (p(c.badSignatureRate) > 0)
    rules.push({
      id: 'bad-signature-rate',
      fault: { kind: 'signature', variant: c.badSignatureKind as 'random' },
      when: { probability: p(c.badSignatureRate) },
    });
  if (p(c.reorderRate) > 0)
    rules.push({ id: 'reorder-rate', fault: { kind: 'reorder' }, when: { probability: p(c.reorderRate) } });
  if (p(c.dropRate) > 0) rules.push({ id: 'drop-rate', fault: { kind: 'drop' }, when: { probability: p(c.dropRate) } });
  if (p(c.apiErrorRate) > 0)
    rules.push({
      id: 'api-error-rate',
      fault: {
        kind: 'api-error',
        status: c.apiErrorStatus as 503,
        ...(c.apiErrorStatus !== 500 ? { retryAfterS: 1 } : {}),
      },
      when: { probability: p(c.apiErrorRate) },
    });
  if (c.apiLatencyMs !== undefined)
    rules.push({ id: 'api-latency-ms', fault: { kind: 'api-latency', ms: c.apiLatencyMs as Range } });
  return rules;
}

export const DEFAULT_CONFIG_FILE = 'pulse-mock.config.json';

export interface ConfigSources {
  /** CLI flags or programmatic options, by MockConfig key (undefined = not given). */
  options?: Partial<Record<string, unknown>>;
  /** How `options` were written, for error messages: CLI flags (`--processing-ms`, the default) or options in code (`processingMs`). */
  optionsAre?: 'flags' | 'code';
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Where to look for `pulse-mock.config.json` when no file is named. */
  cwd?: string;
  /** An explicit config file path (`--config`, `PULSE_MOCK_CONFIG`). */
  configFile?: string;
  /** Read `pulse-mock.config.json` from cwd when no file is named (the CLI does; the API does not). */
  discoverConfigFile?: boolean;
}

export function resolveConfig(sources: ConfigSources = {}): MockConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const explicit = sources.configFile ?? env.PULSE_MOCK_CONFIG;
  let configFile: string | undefined;
  if (explicit) configFile = resolve(cwd, explicit);
  else if (sources.discoverConfigFile && existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)))
    configFile = resolve(cwd, DEFAULT_CONFIG_FILE);
  const file = configFile ? readConfigFile(configFile) : {};

  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SCALARS) as ScalarKey[]) {
    const spec = SCALARS[key];
    const envVar = envName(spec.flag);
    let raw: unknown;
    let from: string;
    if (sources.options?.[key] !== undefined) {
      raw = sources.options[key];
      from = sources.optionsAre === 'code' ? `option ${key}` : `--${spec.flag}`;
    } else if (env[envVar] !== undefined && env[envVar] !== '') {
      raw = env[envVar];
      from = `${envVar}`;
    } else if (file[key] !== undefined) {
      raw = file[key];
      from = `"${key}" in ${configFile}`;
    } else {
      out[key] = spec.default;
      continue;
    }
    const parsed = spec.schema(raw);
    if (!parsed.ok) throw new ConfigError(`invalid ${from}: ${show(raw)}; expected ${spec.expect}`);
    out[key] = parsed.value;
  }
  for (const key of Object.keys(LISTS) as (keyof typeof LISTS)[]) {
    const raw = sources.options?.[key] ?? file[key] ?? [];
    // An empty list needs no check (and compiling its schema is most of the cost).
    const parsed = Array.isArray(raw) && raw.length === 0 ? { ok: true as const, value: [] } : LISTS[key](raw);
    if (!parsed.ok)
      throw new ConfigError(
        `invalid ${pathLabel(key, parsed.problem.path)}${configFile ? ` in ${configFile}` : ''}: ${parsed.problem.message}`,
      );
    out[key] = parsed.value;
  }
  let fileFaults: FaultRule[];
  try {
    fileFaults = parseFaultRules(sources.options?.faults ?? file.faults ?? [], 'faults');
  } catch (e) {
    throw new ConfigError(`invalid ${(e as Error).message}${configFile ? ` in ${configFile}` : ''}`);
  }
  out.faults = [...fileFaults, ...shorthandFaults(out)];
  const seedGenerated = out.seed === undefined;
  if (seedGenerated) out.seed = randomSeed();
  return { ...(out as Omit<MockConfig, 'seedGenerated'>), seedGenerated, ...(configFile ? { configFile } : {}) };
}

const FILE_KEYS = new Set<string>([...Object.keys(SCALARS), ...Object.keys(LISTS), 'faults', '$schema', '$comment']);

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  for (const key of Object.keys(data)) {
    if (!FILE_KEYS.has(key)) {
      const near = [...FILE_KEYS].find((k) => k.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''));
      throw new ConfigError(`unknown key "${key}" in config file ${path}${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  return data as Record<string, unknown>;
}

function envName(flag: string): string {
  return `PULSE_MOCK_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
