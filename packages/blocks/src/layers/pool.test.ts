import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AvgPool2d, MaxPool2d } from './pool.js';

for (const backend of TEST_BACKENDS) {
  describe(`pooling on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('AvgPool2d counts padding as zeros and MaxPool2d ignores it (PyTorch)', () => {
      const x = tf.ones([1, 2, 2, 1]);
      expect(Array.from(new AvgPool2d(3, 2, 1).forward(x).dataSync())).toEqual([Math.fround(4 / 9)]);
      expect(Array.from(new MaxPool2d(3, 2, 1).forward(tf.neg(x)).dataSync())).toEqual([-1]);
      expect(() => new AvgPool2d(2).forward(tf.ones([1, 1, 1, 1]))).toThrow(/smaller than its window/);
    });
  });
}
