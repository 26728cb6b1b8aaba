import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { peekFloats } from './peek.js';
import { useBackend } from './testing.js';

describe('peekFloats', () => {
  it('on wasm: a view of the heap (no copy) with the tensor values', async () => {
    await useBackend('wasm');
    const t = tf.tensor([1.5, -2, 3]);
    const v = peekFloats(t);
    expect(Array.from(v)).toEqual([1.5, -2, 3]);
    expect(v.buffer).not.toBe(t.dataSync().buffer); // dataSync copies; the view is the heap
    expect(v.byteLength).toBeLessThan(v.buffer.byteLength);
    t.dispose();
  });

  it('a tensor made on another backend: its values (moved by dataSync), not a stale view', async () => {
    await useBackend('cpu');
    const t = tf.tensor([4, 5, 6]);
    await useBackend('wasm');
    expect(Array.from(peekFloats(t))).toEqual([4, 5, 6]);
    t.dispose();
  });

  it('int32 tensors and the cpu backend: dataSync', async () => {
    await useBackend('cpu');
    expect(Array.from(peekFloats(tf.tensor([7, 8])))).toEqual([7, 8]);
  });
});
