import { describe, expect, it } from 'vitest';
import { createReporter, junit } from '../../src/scenarios/reporters.js';
import { xmllint } from '../junit.js';

/**
 * The JUnit the check and the scenario runner write is what CI servers read: validated with
 * xmllint (libxml2, not our code) against the schema kept in test/fixtures/junit.xsd.
 */
describe('JUnit reports', () => {
  it("validate against the schema: passing and failing cases, a severity as the failure's type, text to escape", () => {
    const xml = junit('pulse-mock check', [
      { name: 'valid-signature-accepted', durationMs: 12, failures: [] },
      {
        name: 'wrong-secret-rejected',
        durationMs: 1530,
        failures: [{ message: 'accepted <a forgery> & "more"', type: 'critical', detail: 'sent x; got 200' }],
      },
    ]);
    expect(xmllint(xml)).toMatchObject({ ok: true });
    expect(xml).toMatch(/time="1\.530"/);
  });

  it("the scenario reporter's too", () => {
    let out = '';
    createReporter('junit', (s) => (out += s)).finish(
      [
        {
          name: 'happy-path',
          description: 'd',
          passed: false,
          durationMs: 2400,
          startupMs: 20,
          skippedMs: 0,
          idleMs: 0,
          assertions: [{ passed: false, message: 'every event acknowledged', detail: 'got 500' }],
          logs: [],
          deliveries: [],
        },
      ],
      { seed: 1 },
    );
    expect(xmllint(out)).toMatchObject({ ok: true });
  });

  it('and the schema refuses what a CI server would not read (a check of the check)', () => {
    expect(
      xmllint(
        '<testsuites tests="1" failures="0" time="x"><testsuite name="s" tests="1" failures="0" time="0"/></testsuites>',
      ).ok,
    ).toBe(false);
    expect(
      xmllint(
        '<testsuites tests="1" failures="0" time="0"><testsuite tests="1" failures="0" time="0"><testcase name="a" time="0"/></testsuite></testsuites>',
      ).ok,
    ).toBe(false);
  });
});
