#!/usr/bin/env node
// Runs the CLI from its TypeScript source in a checkout (never a stale build), else from dist/.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (existsSync(src) || !existsSync(dist)) {
  // tsx resolved from this checkout, so the CLI runs from any folder.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--conditions=@hybridspike/source', '--import', tsx, src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // A signal sent to this process alone (a container's PID 1, `kill <pid>`) must reach the CLI,
  // which then stops after the current batch and marks its run KILLED.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  // A child that died by a signal exits as a shell reports it: 128 + the signal's number.
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  await import(dist);
}
