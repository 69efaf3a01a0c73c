// Writes pulse-mock.config.schema.json (the config file's JSON Schema, for editors) from the
// schemas the mock checks settings with. `npm run schema`; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { configFileSchema } from '../src/config.js';
import { presetKinds } from '../src/operations/index.js';
import { apiRouteNames } from '../src/api/routes.js';

const out = new URL('../pulse-mock.config.schema.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(configFileSchema(presetKinds(), apiRouteNames()), null, 2)}\n`);
process.stdout.write(`wrote ${out.pathname}\n`);
