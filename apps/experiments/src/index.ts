// The library side of the CLI package: what a script needs beside the `hybridspike` bin.
export { loadRun, type LoadRunOptions } from './load-run.js';
export type { Trial } from './sweep.js';
export type { TrialConfig } from './config.js';
