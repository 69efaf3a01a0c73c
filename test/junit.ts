import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Our JUnit schema (what CI servers read), kept in the repo. */
const XSD = fileURLToPath(new URL('./fixtures/junit.xsd', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pm-junit-'));

/** Validates a JUnit document with xmllint (libxml2, not our code) against test/fixtures/junit.xsd. */
export function xmllint(xml: string): { ok: boolean; output: string } {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
