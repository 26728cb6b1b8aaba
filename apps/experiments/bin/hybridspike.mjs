#!/usr/bin/env node
// Runs the CLI from its TypeScript source (workspace checkout) or from dist/ when built.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (existsSync(dist)) {
  await import(dist);
} else {
  const src = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const r = spawnSync(
    process.execPath,
    ['--conditions=@hybridspike/source', '--import', 'tsx', src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
