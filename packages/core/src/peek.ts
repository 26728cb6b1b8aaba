import * as tf from '@tensorflow/tfjs-core';
import { tfjsHeap } from './simd/heap.js';

/**
 * A float32 tensor's values without a copy where the backend keeps them in memory JavaScript can
 * see (the wasm backend's heap; the cpu backend's own array), else `dataSync()`. Read it at once:
 * the view is only valid until the next tfjs op (which may move or grow the heap), and it must
 * not be written to.
 */
export function peekFloats(t: tf.Tensor): Float32Array {
  // Only data that lives in this backend's heap (a tensor made before a backend switch does not
  // until tfjs moves it: dataSync does that).
  const heap = tfjsHeap();
  const offset = heap?.offsetOf(t);
  if (heap && offset != null) return new Float32Array(heap.memory.buffer, offset, t.size);
  return t.dataSync() as Float32Array;
}

/**
 * A new float32 tensor whose values `fill` writes: straight into the wasm backend's heap (no
 * upload copy, no garbage array), else into an array made into a tensor. `fill` may read
 * {@link peekFloats} views (made after the allocation) but must run no tfjs op.
 */
export function floatTensor(shape: number[], fill: (out: Float32Array) => void): tf.Tensor {
  const heap = tfjsHeap();
  if (heap) {
    const { tensor, offset } = heap.alloc(shape);
    fill(new Float32Array(heap.memory.buffer, offset, tensor.size));
    return tensor;
  }
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill(out);
  return tf.tensor(out, shape, 'float32');
}
