import * as tf from '@tensorflow/tfjs-core';
import {
  expectEmbeddedWasmFresh,
  maxRelDiff,
  TEST_BACKENDS,
  useBackend,
} from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm, batchNormTrain } from './batch-norm.js';
import { FusedBatchNormPasses } from './batch-norm-fused.js';

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

describe('BatchNorm fused passes (wasm heap)', () => {
  beforeAll(() => useBackend('wasm'));
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

  for (const shape of [
    [3, 5, 7, 8],
    [256, 12],
  ])
    it(`[${shape}]: value, statistics and gradients equal the op-by-op path bit for bit`, () => {
      const c = shape[shape.length - 1]!;
      const x = tf.randomNormal(shape, 0.5, 2, 'float32', 7);
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 8);
      const gamma = tf.randomNormal([c], 1, 0.3, 'float32', 9);
      const beta = tf.randomNormal([c], 0, 0.3, 'float32', 10);
      expect(FusedBatchNormPasses.for(x)).not.toBeNull();
      const run = (fused: boolean) => {
        const stats: tf.Tensor[] = [];
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          batchNormTrain(a, g, b, 1e-5, (mean, variance) => stats.push(mean, variance), fused);
        const y = f(x, gamma, beta);
        return { y, stats, grads: tf.grads(f)([x, gamma, beta], dy) };
      };
      const a = run(true);
      const b = run(false);
      expect(bits(a.y)).toEqual(bits(b.y));
      a.stats.forEach((s, i) => expect(bits(s)).toEqual(bits(b.stats[i]!)));
      a.grads.forEach((g, i) => expect(bits(g)).toEqual(bits(b.grads[i]!)));
      expect(a.grads[0]!.dataSync().some((v) => v !== 0)).toBe(true);
    });

  it("eval mode: the closed form to float32 rounding, as tfjs-wasm's own batchNorm kernel", () => {
    const bn = new BatchNorm(8, 0.3, 1e-3);
    bn.weight.assign(tf.randomNormal([8], 1, 0.3, 'float32', 1));
    bn.bias.assign(tf.randomNormal([8], 0, 0.3, 'float32', 2));
    bn.runningMean.assign(tf.randomNormal([8], 0, 1, 'float32', 3));
    bn.runningVar.assign(tf.randomUniform([8], 0.1, 3, 'float32', 4));
    bn.eval();
    const x = tf.randomNormal([7, 5, 8], 0, 2, 'float32', 5);
    const [g, b, m, v, xd] = [bn.weight, bn.bias, bn.runningMean, bn.runningVar, x].map((t) => t.dataSync());
    const exact = Array.from(
      xd!,
      (xi, i) => b![i % 8]! + ((xi - m![i % 8]!) * g![i % 8]!) / Math.sqrt(v![i % 8]! + 1e-3),
    );
    const y = bn.forward(x).dataSync();
    expect(maxRelDiff(y, exact)).toBeLessThan(1e-6);
    const stock = tf.batchNorm(x, bn.runningMean, bn.runningVar, bn.bias, bn.weight, 1e-3).dataSync();
    expect(maxRelDiff(y, stock)).toBeLessThan(1e-6);
  });

  it('takes channels that are not a multiple of 4 to the op path', () => {
    expect(FusedBatchNormPasses.for(tf.zeros([4, 6]))).toBeNull();
  });

  it('src/simd/batch-norm.generated.ts is what assembly/batch-norm.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/blocks', 'batch-norm');
  });
});
