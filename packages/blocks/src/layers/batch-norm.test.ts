import * as tf from '@tensorflow/tfjs-core';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm } from './batch-norm.js';

for (const backend of TEST_BACKENDS) {
  describe(`BatchNorm on ${backend}`, () => {
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
  });
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
