import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng } from '@hybridspike/core';
import { tfjsHeap } from '@hybridspike/core/internal/simd';
import { expectEmbeddedWasmFresh, useBackend } from '@hybridspike/core/internal/testing';
import { has8Vgg } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { fit } from './fit.js';
import { latestCheckpoint, loadBestWeights } from './checkpoint.js';
import { Adam, AdamW, SGD } from './optimizers.js';
import { warmupCosine, stepDecay } from './schedules.js';

class Scalar extends Module {
  readonly p = this.addParameter('p', tf.scalar(1));
  forward(x: tf.Tensor) {
    return x;
  }
}

function steps(
  opt: { step: (p: Map<string, tf.Variable>, g: Map<string, tf.Tensor>) => void },
  n: number,
  g = 0.5,
): number[] {
  const m = new Scalar();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    opt.step(m.parameters(), new Map([['p', tf.scalar(g)]]));
    out.push(m.p.dataSync()[0]!);
  }
  return out;
}

/** Two classes told apart by brightness: learnable in a few steps. */
function toyData(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < 64; j++) images[i * 64 + j] = Math.floor((labels[i] ? 140 : 20) + rng.uniform() * 90);
  }
  return { name: 'toy', images, labels, count: n, height: 8, width: 8, channels: 1, classes: 2 };
}

const tiny = () => has8Vgg({ inChannels: 1, numClasses: 2, base: 2, depth: 1, hidden: [8, 8], seed: 1 });

describe('Adam fused on the wasm heap', () => {
  beforeAll(() => useBackend('wasm'));
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

  for (const [name, make] of [
    ['Adam with L2 decay', () => new Adam({ lr: 0.01, weightDecay: 0.05 })],
    ['AdamW', () => new AdamW({ lr: 0.01 })],
    ['Adam', () => new Adam({ lr: 0.003, beta1: 0.8, eps: 1e-6 })],
  ] as const)
    it(`${name}: parameters and moments equal the op-by-op step bit for bit over 3 steps`, () => {
      const run = (fused: boolean) => {
        const opt = make();
        opt.fused = fused;
        const p = tf.variable(tf.randomNormal([37, 5], 0, 1, 'float32', 3));
        const params = new Map([['w', p]]);
        for (let t = 0; t < 3; t++)
          tf.tidy(() =>
            opt.step(params, new Map([['w', tf.randomNormal([37, 5], 0, 0.1, 'float32', 10 + t)]])),
          );
        return [p, ...opt.getState().tensors.values()];
      };
      expect(tfjsHeap()).not.toBeNull(); // so run(true) takes the fused pass
      const a = run(true);
      const b = run(false);
      expect(a).toHaveLength(3);
      a.forEach((t, i) => expect(bits(t)).toEqual(bits(b[i]!)));
      expect(bits(a[0]!)).not.toEqual(bits(tf.randomNormal([37, 5], 0, 1, 'float32', 3)));
    });

  it('src/simd/adam.generated.ts is what assembly/adam.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/trainer', 'adam');
  });

  it('keeps the hand-computed Adam and AdamW steps', () => {
    expect(steps(new Adam({ lr: 0.1, weightDecay: 0.1 }), 1)[0]).toBeCloseTo(0.9, 6);
    expect(steps(new AdamW({ lr: 0.1, weightDecay: 0.1 }), 1)[0]).toBeCloseTo(0.99 - 0.1, 6);
  });
});

describe('optimisers (PyTorch semantics, hand-computed)', () => {
  beforeAll(() => useBackend('cpu'));
  it('Adam with L2 weight decay', async () => {
    // g' = 0.5 + 0.1 * 1 = 0.6; m_hat / sqrt(v_hat) = 1 -> p = 1 - 0.1
    expect(steps(new Adam({ lr: 0.1, weightDecay: 0.1 }), 1)[0]).toBeCloseTo(0.9, 6);
  });
  it('AdamW decouples the decay', async () => {
    expect(steps(new AdamW({ lr: 0.1, weightDecay: 0.1 }), 1)[0]).toBeCloseTo(0.99 - 0.1, 6);
  });
  it('SGD with momentum and Nesterov', async () => {
    const [a, b] = steps(new SGD({ lr: 0.1, momentum: 0.9 }), 2);
    expect(a).toBeCloseTo(0.95, 6);
    expect(b).toBeCloseTo(0.95 - 0.1 * (0.9 * 0.5 + 0.5), 6);
    expect(steps(new SGD({ lr: 0.1, momentum: 0.9, nesterov: true }), 1)[0]).toBeCloseTo(
      1 - 0.1 * (0.5 + 0.45),
      6,
    );
    expect(() => new SGD({ nesterov: true })).toThrow(/momentum/);
  });
  it('schedules: warmup then cosine, step decay', async () => {
    const s = warmupCosine(15, 5);
    expect([0, 4, 5, 10, 15].map((e) => s(e, 1))).toEqual(
      [0.2, 1, 1, 0.5, 0].map((v, i) => (i === 3 ? expect.closeTo(v, 9) : v)),
    );
    expect(stepDecay(2, 0.5)(5, 1)).toBe(0.25);
  });
});

describe('fit / evaluate', () => {
  beforeAll(() => useBackend('wasm'));
  const train = toyData(48, 1);
  const val = toyData(16, 2);
  const base = { train, validation: val, batchSize: 16, seed: 3, progress: 'quiet' as const };

  it('learns, and the same seed gives the identical loss curve', async () => {
    const a = await fit(tiny(), { ...base, epochs: 2, optimizer: new Adam({ lr: 0.01 }) });
    const b = await fit(tiny(), { ...base, epochs: 2, optimizer: new Adam({ lr: 0.01 }) });
    expect(a.history.map((h) => [h.loss, h.valLoss])).toEqual(b.history.map((h) => [h.loss, h.valLoss]));
    expect(a.history[1]!.loss).toBeLessThan(a.history[0]!.loss);
    expect(a.backend).toBe('wasm');
  });

  it('resume: 1 epoch + resume 1 equals 2 epochs straight, checkpoint files on disk', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'hs-fit-'));
    const dirB = mkdtempSync(join(tmpdir(), 'hs-fit-'));
    const straight = await fit(tiny(), { ...base, epochs: 2, checkpointDir: dirA });
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: dirB });
    const resumed = await fit(tiny(), { ...base, epochs: 2, checkpointDir: dirB, resume: true });
    const pick = (h: typeof straight.history) => h.map((e) => [e.loss, e.accuracy, e.valLoss, e.valAccuracy]);
    expect(pick(resumed.history)).toEqual(pick(straight.history));
    // One folder per checkpoint, the older one removed once the newer is in place.
    expect(readdirSync(dirB)).toEqual(['epoch-000002']);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer.json'])
      expect(existsSync(join(dirB, 'epoch-000002', f))).toBe(true);
    expect(JSON.parse(readFileSync(join(dirB, 'epoch-000002', 'trainer.json'), 'utf8')).epoch).toBe(2);
  });

  it('stops on a NaN loss with a clear error and keeps the last good checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-nan-'));
    const model = tiny();
    const w = model.parameters().get('head.ann.fc3.bias')!;
    await expect(
      fit(model, {
        ...base,
        epochs: 3,
        checkpointDir: dir,
        callbacks: { onEpochEnd: () => void w.assign(tf.fill(w.shape, NaN)) },
      }),
    ).rejects.toThrow(/loss became NaN at epoch 2, batch 1; the last good checkpoint \(epoch 1\)/);
    expect(JSON.parse(readFileSync(join(latestCheckpoint(dir)!, 'trainer.json'), 'utf8')).epoch).toBe(1);
  });

  it('a NaN before any checkpoint says none was written (not a folder that does not exist)', async () => {
    const model = tiny();
    const w = model.parameters().get('head.ann.fc3.bias')!;
    w.assign(tf.fill(w.shape, NaN));
    await expect(
      fit(model, { ...base, epochs: 1, checkpointDir: join(tmpdir(), 'hs-never-written') }),
    ).rejects.toThrow(/epoch 1, batch 1; no checkpoint was written yet/);
  });

  it('stops a diverging run (loss 1000x the first batch) as an error naming the learning rate', async () => {
    const run = (lr: number) => fit(tiny(), { ...base, epochs: 3, optimizer: new Adam({ lr }) });
    await expect(run(1e6)).rejects.toThrow(
      /training diverged: loss [\d.e+]+ at epoch \d+, batch \d+ is over 1000x the first batch's [\d.]+.*Lower the learning rate/,
    );
    await expect(run(1e-3)).resolves.toMatchObject({ stoppedEarly: false });
    const off = await fit(tiny(), {
      ...base,
      epochs: 3,
      optimizer: new Adam({ lr: 1e6 }),
      divergenceFactor: Infinity,
    }).then(
      () => 'finished',
      (e: Error) => e.message,
    );
    expect(off).not.toMatch(/diverged/);
  });

  it('a corrupt checkpoint fails resume with an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-corrupt-'));
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: dir });
    writeFileSync(join(dir, 'epoch-000001', 'trainer.json'), '{"epoch": 1, "hist');
    await expect(fit(tiny(), { ...base, epochs: 2, checkpointDir: dir, resume: true })).rejects.toThrow(
      /checkpoint '.*trainer\.json' is corrupt .*delete .* to start the trial over .*--force/,
    );
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: dir });
    writeFileSync(join(dir, 'epoch-000001', 'model.safetensors'), 'garbage!');
    await expect(fit(tiny(), { ...base, epochs: 2, checkpointDir: dir, resume: true })).rejects.toThrow(
      /checkpoint '.*model\.safetensors' does not match the SHA-256 .* epoch 1 .*--force/,
    );
    // A trainer.json that no longer lists the weights' hash cannot vouch for them: refused too.
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: dir });
    const statePath = join(dir, 'epoch-000001', 'trainer.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { files: Record<string, string> };
    delete state.files['model.safetensors'];
    writeFileSync(statePath, JSON.stringify(state));
    await expect(fit(tiny(), { ...base, epochs: 2, checkpointDir: dir, resume: true })).rejects.toThrow(
      /checkpoint '.*model\.safetensors' has no SHA-256 in trainer\.json.*--force/,
    );
  });

  it('a checkpoint is one unit: files of two epochs never mix, a crashed save is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-atomic-'));
    const ref = mkdtempSync(join(tmpdir(), 'hs-atomic-ref-'));
    const twoStraight = await fit(tiny(), { ...base, epochs: 2, checkpointDir: ref });
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: dir });
    // A save of epoch 2 that died before its rename: a half-written folder beside epoch 1.
    cpSync(join(dir, 'epoch-000001'), join(dir, 'epoch-000002.part-99999-deadbeef'), { recursive: true });
    writeFileSync(join(dir, 'epoch-000002.part-99999-deadbeef', 'model.safetensors'), 'half');
    const resumed = await fit(tiny(), { ...base, epochs: 2, checkpointDir: dir, resume: true });
    expect(resumed.history.map((h) => h.loss)).toEqual(twoStraight.history.map((h) => h.loss));
    expect(readdirSync(dir)).toEqual(['epoch-000002']);
    // The weights of another epoch dropped into a checkpoint (what a crash between two renames
    // of 0.1's layout left) are refused, not trained from.
    copyFileSync(
      join(ref, 'epoch-000002', 'model.safetensors'),
      join(dir, 'epoch-000002', 'model.safetensors'),
    );
    await fit(tiny(), { ...base, epochs: 1, checkpointDir: ref });
    copyFileSync(
      join(ref, 'epoch-000001', 'model.safetensors'),
      join(dir, 'epoch-000002', 'model.safetensors'),
    );
    await expect(fit(tiny(), { ...base, epochs: 3, checkpointDir: dir, resume: true })).rejects.toThrow(
      /does not match the SHA-256/,
    );
    // 0.1's layout (files side by side) is refused with the way out.
    const old = mkdtempSync(join(tmpdir(), 'hs-old-layout-'));
    writeFileSync(join(old, 'trainer.json'), '{}');
    await expect(fit(tiny(), { ...base, epochs: 1, checkpointDir: old, resume: true })).rejects.toThrow(
      /layout of hybridspike 0\.1 .*delete/,
    );
  });

  it('restoreBest leaves the weights of the best validation epoch, not the last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-best-'));
    const model = tiny();
    const snapshots: Float32Array[] = [];
    const weight = () => model.parameters().get('head.ann.fc3.weight')!;
    const r = await fit(model, {
      ...base,
      epochs: 3,
      checkpointDir: dir,
      restoreBest: true,
      earlyStopping: { patience: 10, monitor: 'valLoss' },
      callbacks: {
        onEpochEnd: (l) => {
          snapshots.push(weight().dataSync().slice() as Float32Array);
          // Wreck the weights after epoch 2, so that epoch 3 cannot be the best.
          if (l.epoch === 2)
            for (const p of model.parameters().values())
              p.assign(tf.add(p, tf.randomNormal(p.shape, 0, 5, 'float32', 7)));
        },
      },
    });
    expect(r.bestEpoch).not.toBeNull();
    expect(r.bestEpoch).toBeLessThan(3);
    expect(r.restoredBest).toBe(true);
    expect(Array.from(weight().dataSync())).toEqual(Array.from(snapshots[r.bestEpoch! - 1]!));
    expect(Array.from(weight().dataSync())).not.toEqual(Array.from(snapshots[2]!));
    // The last checkpoint carried the best weights over; they load checked, and a damaged copy is refused.
    const other = tiny();
    expect(loadBestWeights(dir, other)).toBe(true);
    expect(Array.from(other.parameters().get('head.ann.fc3.weight')!.dataSync())).toEqual(
      Array.from(snapshots[r.bestEpoch! - 1]!),
    );
    writeFileSync(join(dir, 'epoch-000003', 'best.safetensors'), 'garbage!');
    expect(() => loadBestWeights(dir, other)).toThrow(/best\.safetensors' does not match the SHA-256/);
    await expect(
      fit(tiny(), { ...base, validation: undefined, checkpointDir: dir, epochs: 1, restoreBest: true }),
    ).rejects.toThrow(/restoreBest needs a validation set/);
  });

  it('early stopping: stops once the monitored metric has not improved for `patience` epochs', async () => {
    const model = tiny();
    const r = await fit(model, {
      ...base,
      epochs: 6,
      divergenceFactor: Infinity,
      earlyStopping: { patience: 2, monitor: 'valLoss' },
      callbacks: {
        // After epoch 2 the weights are wrecked every epoch: validation loss cannot improve again.
        onEpochEnd: (l) => {
          if (l.epoch >= 2)
            for (const p of model.parameters().values())
              p.assign(tf.add(p, tf.randomNormal(p.shape, 0, 5, 'float32', l.epoch)));
        },
      },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.bestEpoch).toBeLessThanOrEqual(2);
    expect(r.history.length).toBe(r.bestEpoch! + 2);
    await expect(fit(tiny(), { ...base, epochs: 0 })).rejects.toThrow(/epochs/);
  });

  it('evaluate: loss, top-1 and top-5 against a hand computation', async () => {
    // A model whose logits are its 6 input pixels (scaled to [0, 1]): ranks are set by the images.
    class PixelLogits extends Module {
      forward(x: tf.Tensor) {
        return tf.reshape(x, [x.shape[0]!, 6]);
      }
    }
    const rows = [
      [9, 1, 2, 3, 4, 5], // label 0 is the top: top-1 and top-5 hit
      [9, 1, 2, 3, 4, 5], // label 2 is 4th: top-5 hit only
      [9, 1, 2, 3, 4, 5], // label 1 is last (6th): neither
      [0, 0, 0, 0, 0, 200], // label 5 top
    ];
    const labels = [0, 2, 1, 5];
    const ds: Dataset = {
      name: 'px',
      images: Uint8Array.from(rows.flat()),
      labels: Uint8Array.from(labels),
      count: 4,
      height: 1,
      width: 6,
      channels: 1,
      classes: 6,
    };
    const e = evaluate(new PixelLogits(), ds, { batchSize: 3 });
    expect(e.count).toBe(4);
    expect(e.accuracy).toBe(2 / 4);
    expect(e.top5).toBe(3 / 4);
    const ce = (row: number[], y: number) => {
      const z = row.map((v) => Math.fround(v / 255));
      const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
      return lse - z[y]!;
    };
    expect(e.loss).toBeCloseTo(rows.reduce((a, r, i) => a + ce(r, labels[i]!), 0) / 4, 5);
  });
});
