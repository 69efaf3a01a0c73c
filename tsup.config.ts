import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

/**
 * What stays a real dependency, loaded from node_modules at run time: msw and vitest (the user's
 * own peers), tsx (a module loader, for scenario files), faker (large, loaded on first use) and
 * undici (CommonJS behind a dynamic import, whose named exports a bundle would hide). Everything
 * else is bundled, once, and is a devDependency: an install does not fetch it a second time.
 */
const EXTERNAL = ['msw', 'vitest', 'tsx', '@faker-js/faker', 'undici'];
const notExternal = new RegExp(`^(?!(${EXTERNAL.map((e) => e.replace('/', '\\/')).join('|')})(\\/|$))`);

const LIBRARY = {
  index: 'src/index.ts',
  msw: 'src/msw/index.ts',
  testing: 'src/testing/index.ts',
  vitest: 'src/vitest/index.ts',
};
/** Large modules loaded on first use (src/vendor/): ESM entries the CommonJS bundles import(). */
const VENDOR = {
  'vendor/pdfkit': 'src/vendor/pdfkit.ts',
  'vendor/swagger': 'src/vendor/swagger.ts',
  'vendor/excel': 'src/vendor/excel.ts',
};

const common: Options = {
  target: 'node20',
  shims: true,
  noExternal: [notExternal],
  external: EXTERNAL,
  // Maps for our own code only: scripts/strip-vendor-maps.ts drops what maps third-party code.
  sourcemap: true,
};

/**
 * In the CommonJS bundles, an import of another library entry is a require() of that entry's
 * bundle (pulse-mock/testing does not carry a second copy of the server), and a vendor module is
 * an import() of the ESM build's file.
 */
const shareAcrossCommonJs: Plugin = {
  name: 'pulse-mock-share',
  setup(build) {
    const entries = new Map(Object.entries(LIBRARY).map(([name, file]) => [resolve(file), `./${name}.cjs`]));
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      const entry = entries.get(target);
      if (entry && target !== resolve(args.importer)) return { path: entry, external: true };
      const vendor = /\/src\/vendor\/([\w-]+)\.ts$/.exec(target);
      if (vendor) return { path: `./vendor/${vendor[1]}.js`, external: true };
      return undefined;
    });
  },
};

/**
 * pdfkit loads each standard font with `createRequire(import.meta.url)('#standard-fonts/<name>')`,
 * which only pdfkit's own package.json can answer: bundled as is, the first PDF failed with
 * "Cannot find module '#standard-fonts/Helvetica'". Rewritten to plain require()s of its exported
 * font modules, the fonts are bundled too (lazily: each is loaded when a PDF first uses it).
 */
const pdfkitStandardFonts: Plugin = {
  name: 'pdfkit-standard-fonts',
  setup(build) {
    build.onLoad({ filter: /[\\/]pdfkit[\\/]js[\\/]pdfkit\.node\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const fonts = /require\$1\('#standard-fonts\/(\w+)'\)/g;
      if ((source.match(fonts) ?? []).length < 14)
        throw new Error('[pulse-mock] pdfkit no longer loads its 14 standard fonts as expected: update tsup.config.ts');
      return { contents: source.replace(fonts, "require('pdfkit/standard-fonts/$1')"), loader: 'js' };
    });
  },
};

export default defineConfig([
  {
    // The CLI and the library entries in one build: they share chunks, so nothing is in the
    // package twice, and the CLI's start-up path is a few files instead of hundreds of resolved
    // and read dependency files (bench/RESULTS.md). Code loaded only when needed stays in its
    // own chunks.
    ...common,
    entry: { ...LIBRARY, ...VENDOR, cli: 'src/cli/main.ts' },
    format: ['esm'],
    splitting: true,
    dts: { entry: LIBRARY },
    esbuildPlugins: [pdfkitStandardFonts],
    // Bundled CommonJS dependencies call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __pulseMockCreateRequire } from 'node:module'; const require = __pulseMockCreateRequire(import.meta.url);",
    },
  },
  {
    // require('pulse-mock'...) for CommonJS projects and runners with their own require (Jest).
    ...common,
    entry: LIBRARY,
    format: ['cjs'],
    dts: { entry: LIBRARY },
    esbuildPlugins: [shareAcrossCommonJs],
  },
]);
