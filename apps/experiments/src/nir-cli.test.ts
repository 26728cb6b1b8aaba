import { initRuntime } from '@hybridspike/core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTrialWorkspace, sweepFile, tiny } from './__tests__/sweeps.js';
import { runTrial } from './trial/index.js';

const BIN = fileURLToPath(new URL('../bin/hybridspike.mjs', import.meta.url));
const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HYBRIDSPIKE_BACKEND: 'wasm' },
  });

beforeAll(async () => {
  process.env.HYBRIDSPIKE_BACKEND = 'wasm';
  await initRuntime();
});

describe('NIR from the CLI', () => {
  it("the main job's SNN-only twin exports to .nir, comes back with the same predictions, and the imported graph passes ONNX parity", async () => {
    const { loaded, ws, ctx } = await freshTrialWorkspace(
      sweepFile(tiny().replace('train: {', 'branch: snn\n  train: {')),
    );
    const r = await runTrial(loaded.trials[0]!, ctx);
    const dir = mkdtempSync(join(tmpdir(), 'hs-nir-'));
    const nir = join(dir, 'model.nir');
    const exp = cli([
      'export',
      r.runId,
      '--format',
      'nir',
      '--out',
      nir,
      '--root',
      ws.root,
      '--samples',
      '16',
    ]);
    expect(exp.status, exp.stderr).toBe(0);
    expect(JSON.parse(exp.stdout)).toMatchObject({ format: 'nir', argmaxAgreement: 1, ok: true });
    expect(JSON.parse(exp.stdout).maxAbsDiff).toBeLessThan(1e-4);
    const onnx = join(dir, 'model.onnx');
    const imp = cli(['import-nir', nir, '--onnx', onnx]);
    expect(imp.status, imp.stderr).toBe(0);
    const report = JSON.parse(imp.stdout);
    expect(report.parity.ok).toBe(true);
    expect(report.nodes['blocks.0.snn.lif']).toBe('LIF');
    expect(existsSync(onnx)).toBe(true);
    // A hybrid run is refused, naming its ANN parts.
    const { loaded: l2, ws: ws2, ctx: c2 } = await freshTrialWorkspace(sweepFile(tiny()));
    const h = await runTrial(l2.trials[0]!, c2);
    const refused = cli([
      'export',
      h.runId,
      '--format',
      'nir',
      '--out',
      join(dir, 'h.nir'),
      '--root',
      ws2.root,
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/has ANN parts \(blocks\.0\.ann/);
  }, 180_000);
});
