// `pnpm web [model-folder]`: builds the page if needed and serves it, with the model folder
// (what `hybridspike web <sweep>` wrote) under /model/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { serveStatic } from './static-server.js';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string', default: '5180' }, rebuild: { type: 'boolean', default: false } },
});
// Relative paths are the user's: pnpm runs scripts in the package folder, INIT_CWD is where they typed.
const userDir = process.env.INIT_CWD ?? process.cwd();
const modelDir = positionals[0] ? resolve(userDir, positionals[0]) : null;
if (modelDir && !existsSync(join(modelDir, 'model.onnx'))) {
  console.error(
    `hybridspike web: no model.onnx in ${modelDir}. Write one with: pnpm hybridspike web <sweep.yaml> (after the sweep).`,
  );
  process.exit(1);
}
const site = join(app, 'dist');
if (values.rebuild || !existsSync(join(site, 'index.html'))) {
  console.error('[hybridspike] building the page (vite)...');
  await build({ root: app, logLevel: 'warn' });
}
const { url } = await serveStatic(site, modelDir, Number(values.port));
console.error(
  `[hybridspike] page: ${url}${modelDir ? ` (model: ${modelDir})` : ' (no model: open a .onnx in the page)'}`,
);
console.error('[hybridspike] Ctrl-C stops the server.');
