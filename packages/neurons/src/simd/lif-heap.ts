import * as tf from '@tensorflow/tfjs-core';
import { heapSimdModule } from '@hybridspike/core/internal/simd';
import { backwardKernelArgs, forwardKernelArgs, type NeuronDynamics } from '../dynamics.js';
import { LIF_WASM } from './lif.generated.js';
import type { LifExports } from './lif-copy.js';
import type { Surrogate } from '../surrogates.js';

/** The forward's tensors, on the tfjs heap. */
export interface HeapForward {
  /** Spikes `[T, ...]`, or `[T + 1, ...]` with the final membrane as the last step. */
  value: tf.Tensor;
  /** Pre-reset potentials `[T * N]` (what BPTT needs). */
  h: tf.Tensor;
  spikeCount: number;
  nonFinite: number;
}

/**
 * {@link neuronForward}'s SIMD kernel run in place on tfjs-wasm's heap: it reads `x` where tfjs
 * keeps it and writes the spikes, potentials and final state straight into new tensors. Same
 * kernel, so the same bits as the copying path. Null off the wasm backend, without SIMD, or when
 * `x` or `v0` is not on the heap.
 */
export function neuronForwardOnHeap(
  d: NeuronDynamics,
  x: tf.Tensor,
  T: number,
  v0: tf.Tensor | null,
  returnState: boolean,
): HeapForward | null {
  const m = heapSimdModule<LifExports>(LIF_WASM);
  if (!m) return null;
  const { k, heap } = m;
  const ins = heap.offsetsOf(v0 ? [x, v0] : [x]);
  if (!ins) return null;
  const [px, p0] = ins as [number, number | undefined];
  const N = x.size / T;
  const n = x.size;
  const vr = Math.fround(d.vReset ?? 0);
  const value = heap.alloc(returnState ? [T + 1, ...x.shape.slice(1)] : x.shape);
  const h = heap.alloc([n]);
  const scratch = heap.malloc(16 + (returnState ? 0 : 4 * N));
  // With returnState the state is updated in place as the output's last step.
  const pv = returnState ? value.offset + 4 * n : scratch + 16;
  const v = new Float32Array(heap.memory.buffer, pv, N);
  if (p0 !== undefined) v.set(new Float32Array(heap.memory.buffer, p0, N));
  else v.fill(vr);
  const spikeCount = k.forward(px, h.offset, value.offset, pv, T, N, ...forwardKernelArgs(d), scratch);
  const nonFinite = new Int32Array(heap.memory.buffer, scratch, 1)[0]!;
  heap.free(scratch);
  return { value: value.tensor, h: h.tensor, spikeCount, nonFinite };
}

/**
 * BPTT of {@link neuronForwardOnHeap} in place: `dy` holds dL/dspikes `[T * N]` (and dL/dv_T after
 * them when the state was an output). Returns dL/dx, and dL/dv0 when `wantDv0`. Null where the
 * surrogate has no closed form in the kernel or the tensors are not on the heap (neurons with such a
 * surrogate take the copying path from the forward on).
 */
export function neuronBackwardOnHeap(
  d: NeuronDynamics,
  surrogate: Surrogate,
  saved: { h: tf.Tensor; spikes: tf.Tensor; dy: tf.Tensor },
  T: number,
  N: number,
  wantDv0: boolean,
): { dx: tf.Tensor; dv0: tf.Tensor | null } | null {
  const closed = surrogate.kernel;
  const m = heapSimdModule<LifExports>(LIF_WASM);
  if (!m || !closed) return null;
  const { k, heap } = m;
  const ins = heap.offsetsOf([saved.h, saved.spikes, saved.dy]);
  if (!ins) return null;
  const [ph, ps, pdy] = ins as [number, number, number];
  const n = T * N;
  const dx = heap.alloc([n]);
  const dv0 = wantDv0 ? heap.alloc([N]) : null;
  const pgv = heap.malloc(8 * N);
  const gv = new Float64Array(heap.memory.buffer, pgv, N);
  if (saved.dy.size > n) gv.set(new Float32Array(heap.memory.buffer, pdy + 4 * n, N));
  else gv.fill(0);
  k.backward(ph, ps, pdy, pgv, dx.offset, T, N, ...backwardKernelArgs(d, closed));
  if (dv0)
    new Float32Array(heap.memory.buffer, dv0.offset, N).set(new Float64Array(heap.memory.buffer, pgv, N));
  heap.free(pgv);
  return { dx: dx.tensor, dv0: dv0?.tensor ?? null };
}
