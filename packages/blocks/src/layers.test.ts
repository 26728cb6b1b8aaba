import * as tf from '@tensorflow/tfjs-core';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '@hybridspike/core/testing';
import { BitPlaneEncoder } from '@hybridspike/encoders';
import { beforeAll, describe, expect, it } from 'vitest';
import { countOps, PICOJOULES_PER_AC, PICOJOULES_PER_MAC, spikeCountScale } from './count-ops.js';
import { BatchNorm } from './layers/batch-norm.js';
import { MultiStep } from './layers/multi-step.js';
import { AvgPool2d, MaxPool2d } from './layers/pool.js';
import { has8Vgg } from './models/has8-vgg.js';
import type { SnnConvBlock, SnnLinearStack } from './snn-blocks.js';
import type { Fusion } from './fusion.js';

for (const backend of TEST_BACKENDS) {
  describe(`layers on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('BatchNorm follows PyTorch: biased variance to normalise, unbiased into running_var', () => {
      const bn = new BatchNorm(1, 0.1);
      const x = tf.tensor([1, 2, 3, 6], [4, 1]);
      const y = bn.forward(x).dataSync();
      // mean 3, biased var 3.5, unbiased 14/3
      const expected = [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5));
      expect(maxRelDiff(y, expected)).toBeLessThan(1e-5);
      expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.3, 6);
      expect(bn.runningVar.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3), 6);
      bn.eval();
      const z = bn.forward(tf.tensor([[1]])).dataSync()[0]!;
      expect(z).toBeCloseTo((1 - 0.3) / Math.sqrt(0.9 + 0.1 * (14 / 3) + 1e-5), 5);
    });

    it('multi-step BatchNorm takes statistics over T*B*H*W', () => {
      const ms = new MultiStep(new BatchNorm(2));
      const x = tf.randomNormal([3, 2, 2, 2, 2], 1, 2, 'float32', 4);
      const y = ms.forward(x);
      expect(y.shape).toEqual([3, 2, 2, 2, 2]);
      const mean = tf.mean(y, [0, 1, 2, 3]).dataSync();
      expect(Math.abs(mean[0]!) + Math.abs(mean[1]!)).toBeLessThan(1e-5);
      // Biased variance over all T*B*H*W = 24 values of a channel is 1 ...
      const variance = tf.moments(y, [0, 1, 2, 3]).variance.dataSync();
      for (const v of variance) expect(v).toBeCloseTo(1, 3);
      // ... while a single time step is not normalised on its own (statistics are pooled).
      const perStep = tf.moments(y, [1, 2, 3]).mean.arraySync() as number[][];
      expect(Math.max(...perStep.flat().map(Math.abs))).toBeGreaterThan(0.05);
      // running stats, by hand from the data: 0.9 * init + 0.1 * batch (unbiased variance, n = 24)
      const xs = x.arraySync() as number[][][][][];
      for (let c = 0; c < 2; c++) {
        const vals = xs.flat(3).map((px) => px[c]!);
        const m = vals.reduce((a, b) => a + b, 0) / vals.length;
        const unbiased = vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1);
        const bn = ms.inner as BatchNorm;
        expect(bn.runningMean.dataSync()[c]).toBeCloseTo(0.1 * m, 5);
        expect(bn.runningVar.dataSync()[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 4);
      }
    });

    it('AvgPool2d counts padding as zeros and MaxPool2d ignores it (PyTorch)', () => {
      const x = tf.ones([1, 2, 2, 1]);
      expect(Array.from(new AvgPool2d(3, 2, 1).forward(x).dataSync())).toEqual([Math.fround(4 / 9)]);
      expect(Array.from(new MaxPool2d(3, 2, 1).forward(tf.neg(x)).dataSync())).toEqual([-1]);
      expect(() => new AvgPool2d(2).forward(tf.ones([1, 1, 1, 1]))).toThrow(/smaller than its window/);
    });

    it('countOps matches a hand count on a tiny model', () => {
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 2,
        base: 1,
        depth: 0,
        hidden: [2, 2],
        neuron: { name: 'lif', vThreshold: 0.05 },
      });
      const levels = [255, 0, 1, 128];
      const x = tf.tensor(
        levels.map((v) => v / 255),
        [1, 2, 2, 1],
      );
      const ops = countOps(m, x);
      // ANN: 4 outputs x 9 taps, then linear 1x2 + 2x2 + 2x2; BatchNorm one MAC per element:
      // 4 on the ANN side, T x 4 = 32 on the SNN side.
      expect(ops.macs).toBe(36 + 2 + 4 + 4 + 4 + 32);
      expect(ops.branches.ann.macs).toBe(36 + 10 + 4);
      expect(ops.branches.snn.macs).toBe(32);
      // SNN conv: every 3x3 window (pad 1) of a 2x2 image covers all 4 pixels: 4 x (spikes in the image).
      const popcount = levels.reduce((a, v) => a + v.toString(2).split('1').length - 1, 0);
      const convSops = 4 * popcount;
      m.eval();
      const feats = m.pool.forward(m.blocks.forward(x));
      const headSpikes = tf.sum(new BitPlaneEncoder().encode(feats)).dataSync()[0]!;
      const snn = m.head.snn as SnnLinearStack;
      m.forward(x);
      const linSops = 2 * headSpikes + 2 * snn.lifs[0]!.lastSpikeCount + 2 * snn.lifs[1]!.lastSpikeCount;
      expect(ops.layers.find((l) => l.path === 'blocks.0.snn.conv')!.sops).toBe(convSops);
      expect(ops.sops).toBe(convSops + linSops);
      // Accumulates: block encode 8x4 and decode 8x1 (after the 2x2 pool), head encode 8x1 and
      // decode 8x2, neuron updates 8x4 (conv LIF) + 3 x 8x2 (head LIFs).
      expect(ops.acs).toBe(32 + 8 + 8 + 16 + 32 + 48);
      expect(ops.branches.shared).toEqual({ macs: 0, sops: 0, acs: 0, energyPicojoules: 0 });
      expect(ops.branches.snn.acs).toBe(ops.acs);
      expect(ops.energyPicojoules).toBeCloseTo(
        ops.macs * PICOJOULES_PER_MAC + (ops.sops + ops.acs) * PICOJOULES_PER_AC,
        6,
      );
      expect(ops.branches.ann.energyPicojoules + ops.branches.snn.energyPicojoules).toBeCloseTo(
        ops.energyPicojoules,
        6,
      );
      expect(Object.keys(ops.spikeRates).sort()).toEqual([
        'blocks.0.snn.lif',
        'head.snn.lif1',
        'head.snn.lif2',
        'head.snn.lif3',
      ]);
      expect(m.training).toBe(false);
    });

    it('countOps counts average-pooled spikes as k/n spike counts (one accumulate per spike)', () => {
      expect(spikeCountScale([0, 1, 1, 0])).toBe(1);
      expect(spikeCountScale([0, 0.25, 0.75, 1])).toBe(4);
      expect(spikeCountScale([0, 0.5, 1])).toBe(2);
      expect(spikeCountScale([0.3, 0.1])).toBe(10);
      expect(spikeCountScale([Math.PI / 4, 0])).toBe(0);
      expect(spikeCountScale([-1, 0])).toBe(0);
      expect(spikeCountScale([2, 0])).toBe(0);
      // End-to-end twin: block 1's conv reads block 0's pooled spikes: SOPs = spikes in the
      // pooling windows x 9 taps x out channels (4x4 input, pad 1: each 2x2 pooled map position
      // reaches every output position of the 2x2 map, 4 in all).
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 2,
        base: 2,
        depth: 1,
        hidden: [4, 4],
        branch: 'snn',
        neuron: { name: 'lif', vThreshold: 0.05 },
      });
      const x = tf.tensor(
        Array.from({ length: 16 }, (_, i) => ((i * 37) % 16) / 15),
        [1, 4, 4, 1],
      );
      const ops = countOps(m, x);
      const first = m.blocks.layers[0] as Fusion;
      const lif0 = (first.snn as SnnConvBlock).lif;
      m.eval();
      const spikes = recordSpikes(m, x, lif0);
      // pooled spike maps 2x2: each of the 4 positions feeds all 4 outputs of a 3x3 pad-1 conv
      expect(ops.layers.find((l) => l.path === 'blocks.1.snn.conv')!.sops).toBe(spikes * 4 * 4);
      expect(ops.layers.find((l) => l.path === 'blocks.1.snn.conv')!.macs).toBe(0);
      expect(ops.branches.snn.energyPicojoules).toBeCloseTo(ops.energyPicojoules, 6);
    });
  });
}

/** Total spikes `neuron` emitted in one eval forward of `m`. */
function recordSpikes(
  m: { forward(x: tf.Tensor): tf.Tensor },
  x: tf.Tensor,
  neuron: { lastSpikeCount: number },
): number {
  tf.tidy(() => void m.forward(x).dataSync());
  return neuron.lastSpikeCount;
}

describe('BatchNorm gradient', () => {
  beforeAll(() => useBackend('cpu'));
  it('matches tf.batchNorm autodiff for x, gamma and beta', () => {
    const x = tf.randomNormal([4, 3, 3, 5], 0.5, 2, 'float32', 7);
    const dy = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 8);
    const bn = new BatchNorm(5);
    bn.weight.assign(tf.randomNormal([5], 1, 0.3, 'float32', 9));
    bn.bias.assign(tf.randomNormal([5], 0, 0.3, 'float32', 10));
    const ref = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.batchNorm(a, mean, variance, b, g, 1e-5);
    });
    const args = [x, tf.clone(bn.weight), tf.clone(bn.bias)];
    const r = ref(args, dy);
    // Our op reads gamma and beta through the variables, so their gradients come from variableGrads.
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(bn.forward(x), dy)) as tf.Scalar,
      [bn.weight, bn.bias],
    );
    const dx = tf.grad((a: tf.Tensor) => bn.forward(a))(x, dy);
    expect(maxRelDiff(dx.dataSync(), r[0]!.dataSync())).toBeLessThan(1e-4);
    expect(maxRelDiff(grads[bn.weight.name]!.dataSync(), r[1]!.dataSync())).toBeLessThan(1e-4);
    expect(maxRelDiff(grads[bn.bias.name]!.dataSync(), r[2]!.dataSync())).toBeLessThan(1e-4);
  });
});
