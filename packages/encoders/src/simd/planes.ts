import * as tf from '@tensorflow/tfjs-core';
import { heapSimdModule, type SimdExports, type TfjsHeap } from '@hybridspike/core/internal/simd';
import { PLANES_WASM } from './planes.generated.js';

interface PlanesExports extends SimdExports {
  encode(q: number, out: number, n: number, bits: number, top: number, planeOf: number): void;
  weightedSum(s: number, w: number, out: number, T: number, m: number): void;
}

/** Scratch of `values` (int32 or float32) on the heap for one kernel call. */
function withScratch<R>(
  on: { k: PlanesExports; heap: TfjsHeap },
  values: Int32Array | Float32Array,
  run: (at: number) => R,
): R {
  const at = on.heap.malloc(4 * values.length);
  try {
    const view = values instanceof Int32Array ? Int32Array : Float32Array;
    new view(on.heap.memory.buffer, at, values.length).set(values);
    return run(at);
  } finally {
    on.heap.free(at);
  }
}

/**
 * The planes `[bits, ...q.shape]` of the levels `clamp(floor(q), 0, top)` (assembly/planes.ts), in
 * place on tfjs-wasm's heap; `planeOf[t]` is the bit step t carries. Null off the heap.
 */
export function encodePlanesOnHeap(
  q: tf.Tensor,
  bits: number,
  top: number,
  planeOf: Int32Array,
): tf.Tensor | null {
  const on = heapSimdModule<PlanesExports>(PLANES_WASM);
  if (!on) return null;
  const pq = on.heap.offsetOf(q);
  if (pq === null) return null;
  const out = on.heap.alloc([bits, ...q.shape]);
  withScratch(on, planeOf, (p) => on.k.encode(pq, out.offset, q.size, bits, top, p));
  return out.tensor;
}

/**
 * `sum_t w_t s_t` over the leading axis of `s` `[T, ...]` in float32, in step order, in place on
 * tfjs-wasm's heap (spikes times integer weights sum exactly). Null off the heap.
 */
export function weightedTimeSumOnHeap(s: tf.Tensor, weights: number[]): tf.Tensor | null {
  const on = heapSimdModule<PlanesExports>(PLANES_WASM);
  if (!on) return null;
  const T = s.shape[0]!;
  const ps = on.heap.offsetOf(s);
  if (ps === null) return null;
  const out = on.heap.alloc(s.shape.slice(1));
  withScratch(on, Float32Array.from(weights), (w) => on.k.weightedSum(ps, w, out.offset, T, s.size / T));
  return out.tensor;
}
