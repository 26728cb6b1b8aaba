// `pnpm --filter @hybridspike/web screenshot <model-folder> <out.png> [--sample i]`: the page with
// a model served, one test image shown, saved as a PNG (the README's picture).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { launchChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { sample: { type: 'string', default: '0' } },
});
if (positionals.length !== 2) {
  console.error('usage: screenshot <model-folder> <out.png> [--sample i]');
  process.exit(2);
}
const userDir = process.env.INIT_CWD ?? process.cwd();
const [modelDir, out] = positionals.map((p) => resolve(userDir, p)) as [string, string];
await build({ root: app, logLevel: 'warn' });
const { server, url } = await serveStatic(join(app, 'dist'), modelDir);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(
    () => document.querySelectorAll('#sample option').length > 1 || window.hybridspikePage?.state === 'error',
  );
  await page.selectOption('#sample', values.sample!);
  await page.waitForFunction(
    () => window.hybridspikePage.runs > 0 || window.hybridspikePage.state === 'error',
  );
  const state = await page.evaluate(() => window.hybridspikePage);
  if (state.state === 'error') throw new Error(`the page failed: ${state.error}`);
  await page.screenshot({ path: out, fullPage: true });
  console.error(
    `[hybridspike] ${out}: ${state.last!.source}, p = [${state.last!.probabilities.map((p) => p.toFixed(3))}]`,
  );
} finally {
  await browser.close();
  server.close();
}
