import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm } from './batch-norm.js';
import { MultiStep } from './multi-step.js';

for (const backend of TEST_BACKENDS) {
  describe(`MultiStep on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

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
  });
}
