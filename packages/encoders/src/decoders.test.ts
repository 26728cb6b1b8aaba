import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBitPlane, decodeRate } from './decoders.js';

describe('decoder gradients', () => {
  beforeAll(() => useBackend('wasm'));
  it('bit-plane: d/ds_t = 2^k(t) / 255; rate: 1 / T', () => {
    const s = tf.zeros([8, 2, 3]);
    const g = tf
      .grad((v: tf.Tensor) => tf.sum(decodeBitPlane(v)))(s)
      .arraySync() as number[][][];
    expect(g.map((p) => p[1]![2])).toEqual([128, 64, 32, 16, 8, 4, 2, 1].map((w) => Math.fround(w / 255)));
    const r = tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(decodeRate(v), 2)))(tf.zeros([4, 3]))
      .dataSync();
    expect(Array.from(r)).toEqual(new Array(12).fill(0.5));
  });
});
