import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../testing.js';

describe('Identity on wasm shares data instead of copying', () => {
  it('a clone outlives its source, keeps its values, and frees the data with the last reference', async () => {
    await useBackend('wasm');
    const before = tf.memory().numBytes;
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    // one data buffer for both (a copy would double the bytes held by the backend)
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBeGreaterThan(0);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual([2, 3, 4, 5]);
    tf.dispose([y, z]);
    expect(tf.memory().numBytes).toBe(before);
  });

  it('gradients that save their inputs (through Identity) are unchanged', async () => {
    await useBackend('wasm');
    const x = tf.tensor([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), tf.sin(v))))(x);
    const xs = [0.5, -1, 2];
    const want = xs.map((v) => 2 * v * Math.sin(v) + v * v * Math.cos(v));
    g.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });
});
