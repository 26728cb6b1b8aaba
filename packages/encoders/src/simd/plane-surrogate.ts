import * as tf from '@tensorflow/tfjs-core';
import { heapSimdModule, type SimdExports } from '@hybridspike/core/internal/simd';
import { planeScales, type BitPlaneSurrogate } from '../bitplane-surrogates.js';
import { PLANE_SURROGATE_WASM } from './plane-surrogate.generated.js';

interface PlaneSurrogateExports extends SimdExports {
  backward(...args: number[]): void;
}

/** What the surrogate backward needs of the encoder's options. */
export interface PlaneSurrogateSpec {
  bits: number;
  surrogate: BitPlaneSurrogate;
  alpha: number;
  orderAware: boolean;
  fourierOffset: number;
  /** The plane each time step carries. */
  planeOf: Int32Array;
}

/**
 * The encoder's gradient `dq = sum_t g_{plane(t)}(q) dy_t` by the SIMD kernel
 * (assembly/plane-surrogate.ts) in place on tfjs-wasm's heap, two levels at a time in float64
 * (~5x the JavaScript loop; equal to it to about an ulp of float64, tested). Null off the heap.
 */
export function planeSurrogateBackwardOnHeap(
  q: tf.Tensor,
  dy: tf.Tensor,
  s: PlaneSurrogateSpec,
): tf.Tensor | null {
  const on = heapSimdModule<PlaneSurrogateExports>(PLANE_SURROGATE_WASM);
  if (!on) return null;
  const { k, heap } = on;
  const ins = heap.offsetsOf([q, dy]);
  if (!ins) return null;
  const [pq, pdy] = ins as [number, number];
  const dq = heap.alloc(q.shape);
  const scratch = heap.malloc(8 * s.bits + 4 * s.bits + 16 * s.bits + 16);
  // float64 scales, then int32 planes, then the 16-byte slots of the per-plane values.
  const pScale = scratch;
  const pPlane = pScale + 8 * s.bits;
  const pG = (pPlane + 4 * s.bits + 15) & ~15;
  new Float64Array(heap.memory.buffer, pScale, s.bits).set(planeScales(s.bits, s.orderAware));
  new Int32Array(heap.memory.buffer, pPlane, s.bits).set(s.planeOf);
  k.backward(
    pq,
    pdy,
    dq.offset,
    q.size,
    s.bits,
    s.surrogate === 'fourier' ? 0 : s.surrogate === 'sigsine' ? 1 : 2,
    s.alpha,
    Math.round(s.alpha),
    s.fourierOffset,
    pScale,
    pPlane,
    pG,
  );
  heap.free(scratch);
  return dq.tensor;
}
