// Totals vitest's JSON results over every workspace package and prints `N passed, N failed`,
// the closing line CI reads. A package with a test script but no results counts as one failure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspacePackages } from './workspace-packages.mjs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const { dir, pkg } of workspacePackages()) {
  if (!pkg.scripts?.test) continue;
  const results = join(dir, '.vitest', 'results.json');
  if (!existsSync(results)) {
    console.log(`${pkg.name}: no test results (did its test run crash?)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  console.log(`${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
