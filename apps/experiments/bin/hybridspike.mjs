#!/usr/bin/env node
// Runs the CLI from its TypeScript source in a checkout (never a stale build), else from dist/.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (existsSync(src) || !existsSync(dist)) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@hybridspike/source', '--import', 'tsx', src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
} else {
  await import(dist);
}
