import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { ConfigError, CONFIG_FLAGS, configFileSchema, resolveConfig } from '../../src/config.js';
import { presetKinds } from '../../src/operations/index.js';
import { apiRouteNames } from '../../src/api/routes.js';
import { AJV_OPTIONS, SETTINGS_SCHEMAS } from '../../src/settings-schema.js';
import { faultRuleSchema, parseFaultRules } from '../../src/faults/validate.js';

function fileWith(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-config-'));
  const path = join(dir, 'pulse-mock.config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('resolveConfig', () => {
  it('has documented defaults and generates (and flags) a seed when none is given', () => {
    const c = resolveConfig({ env: {} });
    expect(c).toMatchObject({
      port: 4050,
      host: '127.0.0.1',
      processingMs: 1000,
      queueMs: 100,
      failureRate: 0,
      asyncStatusCode: 200,
      maxJobs: 10000,
      maxBacklog: 20000,
    });
    expect(c.apiKey).toBeUndefined();
    expect(c.seedGenerated).toBe(true);
    expect(Number.isInteger(c.seed)).toBe(true);
  });

  it('takes flag over env over file over default', () => {
    const file = fileWith({ port: 1111, seed: 1, processingMs: 5 });
    const env = { PULSE_MOCK_PORT: '2222', PULSE_MOCK_SEED: '2' };
    expect(resolveConfig({ env, configFile: file, options: { port: '3333' } })).toMatchObject({
      port: 3333,
      seed: 2,
      processingMs: 5,
    });
    expect(resolveConfig({ env, configFile: file })).toMatchObject({
      port: 2222,
      seed: 2,
      processingMs: 5,
      seedGenerated: false,
    });
    expect(resolveConfig({ env: {}, configFile: file })).toMatchObject({ port: 1111, seed: 1 });
  });

  it('reads env-only settings such as PULSE_MOCK_CONFIG and parses sizes and booleans', () => {
    const file = fileWith({ apiKey: 'from-file' });
    const c = resolveConfig({
      env: { PULSE_MOCK_CONFIG: file, PULSE_MOCK_BODY_LIMIT: '2mb', PULSE_MOCK_JSON: 'true' },
    });
    expect(c).toMatchObject({ apiKey: 'from-file', bodyLimit: 2 * 1024 * 1024, json: true, configFile: file });
  });

  it.each([
    [{ options: { port: 'abc' } }, /invalid --port: "abc"; expected an integer from 0 to 65535/],
    [{ options: { port: 70000 } }, /--port/],
    [
      { env: { PULSE_MOCK_FAILURE_RATE: '1.5' } },
      /invalid PULSE_MOCK_FAILURE_RATE: "1.5"; expected a number from 0 to 1/,
    ],
    [{ options: { asyncStatusCode: '201' } }, /--async-status-code.*200 or 202/],
    [{ options: { bodyLimit: 'lots' } }, /--body-limit/],
    [{ options: { processingMs: '-1' } }, /--processing-ms/],
    [{ options: { apiKey: '' } }, /--api-key/],
  ])('rejects %j with a one-line message naming the setting', (sources, message) => {
    expect(() => resolveConfig({ env: {}, ...sources })).toThrow(ConfigError);
    try {
      resolveConfig({ env: {}, ...sources });
    } catch (e) {
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('names the file and the key for bad config files', () => {
    expect(() => resolveConfig({ env: {}, configFile: fileWith('{ nope') })).toThrow(/not valid JSON/);
    expect(() => resolveConfig({ env: {}, configFile: fileWith([1]) })).toThrow(/must hold a JSON object/);
    expect(() => resolveConfig({ env: {}, configFile: fileWith({ prot: 1 }) })).toThrow(/unknown key "prot"/);
    expect(() => resolveConfig({ env: {}, configFile: fileWith({ api_key: 'x' }) })).toThrow(/did you mean "apiKey"/);
    expect(() => resolveConfig({ env: {}, configFile: fileWith({ seed: 'x' }) })).toThrow(
      /invalid "seed" in .*pulse-mock.config.json/,
    );
    expect(() =>
      resolveConfig({ env: {}, configFile: fileWith({ outcomes: [{ match: '*', outcome: 'exploded' }] }) }),
    ).toThrow(/outcomes\[0\]\.outcome/);
    expect(() => resolveConfig({ env: {}, configFile: fileWith({ documents: [{ match: '/(/' }] }) })).toThrow(
      /documents\[0\]\.match/,
    );
    expect(() => resolveConfig({ env: {}, configFile: '/nonexistent/pm.json' })).toThrow(
      /cannot read config file .*ENOENT/,
    );
  });

  it("expands the fault shorthands into seeded rules after the config file's own", () => {
    const file = fileWith({
      faults: [{ id: 'mine', fault: { kind: 'drop' }, scope: { eventTypes: ['job.created'] } }],
    });
    const c = resolveConfig({
      env: { PULSE_MOCK_DROP_RATE: '0.1' },
      configFile: file,
      options: {
        duplicateRate: '0.2',
        duplicateCount: '2',
        delayMs: '100-500',
        badSignatureRate: '0.3',
        badSignatureKind: 'stale-timestamp',
        apiErrorRate: '0.05',
        apiErrorStatus: '429',
      },
    });
    expect(c.faults).toEqual([
      { id: 'mine', fault: { kind: 'drop' }, scope: { eventTypes: ['job.created'] } },
      { id: 'duplicate-rate', fault: { kind: 'duplicate', copies: 2, spacingMs: 0 }, when: { probability: 0.2 } },
      { id: 'delay-ms', fault: { kind: 'delay', ms: [100, 500] } },
      {
        id: 'bad-signature-rate',
        fault: { kind: 'signature', variant: 'stale-timestamp' },
        when: { probability: 0.3 },
      },
      { id: 'drop-rate', fault: { kind: 'drop' }, when: { probability: 0.1 } },
      { id: 'api-error-rate', fault: { kind: 'api-error', status: 429, retryAfterS: 1 }, when: { probability: 0.05 } },
    ]);
    expect(() => resolveConfig({ env: {}, options: { delayMs: '500-100' } })).toThrow(/invalid --delay-ms: "500-100"/);
    expect(() => resolveConfig({ env: {}, options: { badSignatureKind: 'sloppy' } })).toThrow(/--bad-signature-kind/);
    expect(() =>
      resolveConfig({
        env: {},
        configFile: fileWith({ faults: [{ fault: { kind: 'drop' }, when: { probability: 3 } }] }),
      }),
    ).toThrow(/invalid faults\[0\]\.when/);
  });

  it('discovers ./pulse-mock.config.json only when asked (the CLI asks)', () => {
    const file = fileWith({ seed: 99 });
    const cwd = join(file, '..');
    expect(resolveConfig({ env: {}, cwd, discoverConfigFile: true }).seed).toBe(99);
    expect(resolveConfig({ env: {}, cwd }).configFile).toBeUndefined();
  });

  it('checks with JSON Schemas that are themselves valid (the meta-schema check is off at run time)', () => {
    const ajv = new Ajv({ ...AJV_OPTIONS, validateSchema: true });
    // The flags' (some flags share one), the three lists' and the fault rules'.
    expect(SETTINGS_SCHEMAS.length).toBeGreaterThanOrEqual(CONFIG_FLAGS.length / 2 + 4);
    parseFaultRules([{ fault: { kind: 'drop' } }]);
    expect(SETTINGS_SCHEMAS).toContainEqual(expect.objectContaining({ type: 'array', items: faultRuleSchema() }));
    for (const schema of SETTINGS_SCHEMAS) expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  });

  it('says which fault rule field is wrong and why', () => {
    const problem = (rules: unknown) => {
      try {
        parseFaultRules(rules);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(problem([{ fault: { kind: 'explode' } }])).toBe('faults[0].fault.kind: unknown kind "explode"');
    expect(problem([{ fault: { kind: 'drop', extra: 1 } }])).toBe('faults[0].fault: unknown key "extra"');
    expect(problem([{ fault: { kind: 'delay', ms: [5, 1] } }])).toBe('faults[0].fault.ms: min must not exceed max');
    expect(problem([{ fault: { kind: 'drop' }, when: { nth: [0] } }])).toBe('faults[0].when.nth[0]: must be >= 1');
    expect(problem([{ fault: { kind: 'signature' } }])).toBe('faults[0].fault: missing "variant"');
    expect(problem([{ fault: { kind: 'api-error', status: 404 } }])).toBe(
      'faults[0].fault.status: must be one of 429, 500, 503',
    );
    // Fault rules are JSON, not flags: a string is not a probability.
    expect(problem([{ fault: { kind: 'drop' }, when: { probability: '0.5' } }])).toBe(
      'faults[0].when.probability: must be number',
    );
    expect(problem([{ fault: { kind: 'delay', ms: [100, 500] }, when: { always: true } }])).toBe('accepted');
  });

  it('ships a JSON Schema for config files that is current and accepts what the mock accepts', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../pulse-mock.config.schema.json', import.meta.url), 'utf8'));
    expect(shipped, 'pulse-mock.config.schema.json is stale: run npm run schema').toEqual(
      JSON.parse(JSON.stringify(configFileSchema(presetKinds(), apiRouteNames()))),
    );
    // As an editor would use it: any JSON Schema validator, formats it does not know ignored.
    const ajv = new Ajv({ strict: false, validateFormats: false, discriminator: true });
    const validate = ajv.compile(shipped);
    const good = {
      $schema: './node_modules/pulse-mock/pulse-mock.config.schema.json',
      port: 4050,
      bodyLimit: '10mb',
      retrySchedule: '5s,5m',
      delayMs: '100-500',
      webhookUrl: ['http://localhost:3000/webhook'],
      json: true,
      outcomes: [{ match: '*fail*', outcome: 'failed', error: 'Corrupt PDF' }],
      faults: [{ fault: { kind: 'duplicate', copies: 2 }, when: { probability: 0.2 } }],
    };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    expect(resolveConfig({ env: {}, configFile: fileWith(good) }).port).toBe(4050);
    for (const bad of [
      { prot: 1 },
      { port: 'x' },
      { headerPrefix: 'x-hook' },
      { faults: [{ fault: { kind: 'explode' } }] },
      { outcomes: [{ outcome: 'failed' }] },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(() => resolveConfig({ env: {}, configFile: fileWith(bad) }), JSON.stringify(bad)).toThrow(ConfigError);
    }
  });
});
