/**
 * The test suite's system prerequisites: the programs beyond npm packages that its tests drive
 * (a browser for the portal, Python with Flask for the seed's consumer). This file is the one
 * list of them: `npm test` runs it first (`pretest`), `.ci/run` relies on that, and the tests
 * take the paths they launch from here, so the check and the tests can never disagree.
 *
 * Run: `npx tsx scripts/test-deps.ts`. For each missing piece it installs it where it can
 * (Debian or Ubuntu as root: `apt-get update`, then `apt-get install`, saying what), or stops
 * before any test runs with one line per missing piece and the exact command to get it.
 * `TEST_DEPS_INSTALL=0` checks without installing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium the browser tests launch: `CHROMIUM_PATH`, else the first one installed in a usual place. */
export function chromiumPath(): string {
  const set = process.env.CHROMIUM_PATH;
  if (set) return set;
  return CHROMIUM_CANDIDATES.find(isExecutable) ?? CHROMIUM_CANDIDATES[0]!;
}

/**
 * The Python the tests run: `TEST_PYTHON`, else Debian's own `/usr/bin/python3` on Linux (where
 * `apt-get install python3-flask` puts Flask, whatever pyenv or a venv puts first on PATH), else
 * `python3` from PATH.
 */
export function pythonPath(): string {
  const set = process.env.TEST_PYTHON;
  if (set) return set;
  return process.platform === 'linux' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function pythonCan(code: string): boolean {
  return spawnSync(pythonPath(), ['-c', code], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** One program the suite needs, how to tell it is there, and how to get it. */
export interface Prerequisite {
  name: string;
  /** Which tests need it. */
  neededBy: string;
  present(): boolean;
  /** Debian/Ubuntu packages that provide it. */
  apt: string[];
  /** The macOS (Homebrew) command that provides it. */
  mac: string;
  /** How to use a copy installed elsewhere. */
  elsewhere: string;
}

export const PREREQUISITES: Prerequisite[] = [
  {
    name: 'Python 3',
    neededBy: "the Python client contract test and the seed's Flask consumer",
    present: () => pythonCan('import sys; assert sys.version_info >= (3, 8)'),
    apt: ['python3'],
    mac: 'brew install python',
    elsewhere: 'TEST_PYTHON=/path/to/python3',
  },
  {
    name: 'Flask',
    neededBy: "the seed's Flask consumer, whose verify_webhook checks our signatures",
    present: () => pythonCan('import flask'),
    apt: ['python3-flask'],
    mac: 'python3 -m pip install flask',
    elsewhere: 'TEST_PYTHON=/a/python/with/flask',
  },
  {
    name: 'poppler-utils',
    neededBy: 'the form tests: filled PDFs are opened with pdfinfo and read with pdftotext',
    present: () => onPath('pdfinfo') && onPath('pdftotext'),
    apt: ['poppler-utils'],
    mac: 'brew install poppler',
    elsewhere: 'pdfinfo and pdftotext on PATH',
  },
  {
    name: 'openpyxl',
    neededBy: 'the Excel template tests: workbooks go in and come out through a reader the mock does not use',
    present: () => pythonCan('import openpyxl'),
    apt: ['python3-openpyxl'],
    mac: 'python3 -m pip install openpyxl',
    elsewhere: 'TEST_PYTHON=/a/python/with/openpyxl',
  },
  {
    name: 'Chromium',
    neededBy: "the portal's browser tests (playwright-core drives it; it never downloads a browser)",
    present: () => isExecutable(chromiumPath()),
    apt: ['chromium'],
    mac: 'brew install --cask chromium',
    elsewhere: 'CHROMIUM_PATH=/path/to/chromium (or Chrome)',
  },
  {
    name: 'xmllint',
    neededBy: 'the JUnit reports of check and scenario run, validated against test/fixtures/junit.xsd',
    present: () => onPath('xmllint'),
    apt: ['libxml2-utils'],
    mac: 'brew install libxml2',
    elsewhere: 'an xmllint on PATH',
  },
  {
    name: 'pngcheck',
    neededBy: 'the figure tests: the PNGs the mock draws are checked by a reader it did not write',
    present: () => onPath('pngcheck'),
    apt: ['pngcheck'],
    mac: 'brew install pngcheck',
    elsewhere: 'a pngcheck on PATH',
  },
];

function osId(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^ID="?([^"\n]+)/m.exec(release)?.[1] ?? '';
  } catch {
    return '';
  }
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Ubuntu's `chromium` is called `chromium-browser` (a snap underneath). */
function aptPackages(missing: Prerequisite[], os: string): string[] {
  const names = missing
    .flatMap((p) => p.apt)
    .map((n) => (n === 'chromium' && os === 'ubuntu' ? 'chromium-browser' : n));
  return [...new Set(names)];
}

function run(cmd: string, args: string[]): boolean {
  console.log(`[test-deps] ${cmd} ${args.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env, timeout: 15 * 60_000 }).status === 0;
}

/** Checks every prerequisite, installs what it can, and returns the process's exit code. */
export function ensureTestDeps(): number {
  let missing = PREREQUISITES.filter((p) => !p.present());
  if (missing.length === 0) return 0;

  const os = osId();
  const apt = (os === 'debian' || os === 'ubuntu' || existsSync('/etc/debian_version')) && onPath('apt-get');
  const root = process.getuid?.() === 0;
  const packages = aptPackages(missing, os);
  if (apt && root && process.env.TEST_DEPS_INSTALL !== '0') {
    console.log(
      `[test-deps] installing with apt-get what the tests need: ${packages.join(' ')} (for ${missing.map((p) => p.name).join(', ')})`,
    );
    const ok =
      run('apt-get', ['update', '-qq']) &&
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
    if (!ok) console.error('[test-deps] apt-get failed; see its output above');
    missing = missing.filter((p) => !p.present());
    if (missing.length === 0) return 0;
  }

  const sudo = root ? '' : 'sudo ';
  console.error(
    `[test-deps] the test suite needs ${missing.length === 1 ? 'a program' : 'programs'} this machine does not have; no test was run:`,
  );
  for (const p of missing) {
    console.error(
      `[test-deps] missing ${p.name}, for ${p.neededBy}. Debian/Ubuntu: ${sudo}apt-get install -y ${aptPackages([p], os).join(' ')} · macOS: ${p.mac} · installed elsewhere: ${p.elsewhere} npm test`,
    );
  }
  const all = aptPackages(missing, os).join(' ');
  console.error(`[test-deps] all at once on Debian/Ubuntu: ${sudo}apt-get update && ${sudo}apt-get install -y ${all}`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = ensureTestDeps();
