import * as tf from '@tensorflow/tfjs-core';
import { customGradOp, HybridSpikeError, peekFloats } from '@hybridspike/core';
import { neuronBackward, neuronForward, type NeuronDynamics } from './dynamics.js';
import { neuronBackwardOnHeap, neuronForwardOnHeap } from './simd/lif-heap.js';
import type { Surrogate } from './surrogates.js';

function checkNoNaN(d: ArrayLike<number>, who: string): void {
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!))
      throw new HybridSpikeError('NON_FINITE', `${who} input holds ${d[i]} at flat index ${i}.`);
  }
}

/** What one run of a neuron layer reports back to its module. */
export interface NeuronRunStats {
  spikeCount: number;
  neuronSteps: number;
  /** Pre-reset membrane potentials, time-major (when asked for). */
  membrane?: Float32Array;
}

/** One multi-step neuron run: the input, the dynamics and where the stats go. */
export interface NeuronRun {
  x: tf.Tensor;
  T: number;
  v0: tf.Tensor | null;
  /** Append the final membrane `v_T` to the output (single-step use). */
  returnState: boolean;
  /** A learnable `1 / tau` (PLIF), or null. */
  kT: tf.Tensor | null;
  /** The loop's constants for a `k` (default: the neuron's own). */
  dynamics: (k?: number) => NeuronDynamics;
  surrogate: Surrogate;
  /** Names the module in errors. */
  who: string;
  recordMembrane: boolean;
  report: (s: NeuronRunStats) => void;
}

/**
 * The fused multi-step neuron: one op over `[T, ...]` with a hand-written BPTT backward, and the
 * one place that picks its compute path: in place on tfjs-wasm's heap (SIMD forward and
 * backward), else arrays (the SIMD kernel on copies, or plain JavaScript). PLIF's dL/dk and
 * surrogates without a closed form need the JavaScript backward, which reads arrays: they take
 * the copying path.
 */
export function runNeuron(run: NeuronRun): tf.Tensor {
  const { x, v0, kT } = run;
  const inputs = [x, ...(v0 ? [v0] : []), ...(kT ? [kT] : [])];
  const inPlace = !kT && run.surrogate.kernel !== undefined;
  const op = customGradOp((ins, save) => {
    const onHeap = inPlace ? forwardOnHeap(run, ins[0]!, v0 ? ins[1]! : null, save) : null;
    return onHeap ?? forwardOnArrays(run, ins);
  });
  return op(...inputs);
}

/** The copying path: read the input, run the loop (SIMD on copies or JavaScript), BPTT on arrays. */
function forwardOnArrays(run: NeuronRun, ins: tf.Tensor[]) {
  const { x, T, v0, kT, returnState } = run;
  // Read in place (no copy) unless PLIF's backward needs x later; no tfjs op runs before the
  // forward has read it.
  const xd = kT ? (ins[0]!.dataSync() as Float32Array) : peekFloats(ins[0]!);
  const N = xd.length / T;
  const v0d = v0 ? (ins[1]!.dataSync() as Float32Array) : null;
  const dyn = run.dynamics(kT ? ins[ins.length - 1]!.dataSync()[0]! : undefined);
  const r = neuronForward(dyn, xd, T, N, v0d);
  // The SIMD kernel counts non-finite inputs (the scan then only names the first); the
  // JavaScript loop does not count (undefined), so the scan runs.
  if (r.nonFinite !== 0) checkNoNaN(xd, run.who);
  const xSaved = kT ? xd : new Float32Array(0);
  run.report({
    spikeCount: r.spikeCount,
    neuronSteps: T * N,
    membrane: run.recordMembrane ? r.h : undefined,
  });
  let value: tf.Tensor;
  if (returnState) {
    const out = new Float32Array((T + 1) * N);
    out.set(r.spikes);
    out.set(r.vLast, T * N);
    value = tf.tensor(out, [T + 1, ...x.shape.slice(1)], 'float32');
  } else value = tf.tensor(r.spikes, x.shape, 'float32');
  const gradFunc = (dy: tf.Tensor) => {
    const dyd = peekFloats(dy);
    const b = neuronBackward({
      dynamics: dyn,
      surrogate: run.surrogate,
      x: xSaved,
      h: r.h,
      spikes: r.spikes,
      T,
      N,
      v0: v0d,
      dSpikes: dyd.subarray(0, T * N),
      dVLast: returnState ? dyd.subarray(T * N) : null,
      needDk: kT !== null,
    });
    const grads = [tf.tensor(b.dx, x.shape, 'float32')];
    if (v0) grads.push(tf.tensor(b.dv0, v0.shape, 'float32'));
    if (kT) grads.push(tf.fill(kT.shape, b.dk, 'float32'));
    return grads;
  };
  return { value, gradFunc };
}

/** The in-place path: forward and backward on tfjs-wasm's heap (null: the tensors are not there). */
function forwardOnHeap(
  run: NeuronRun,
  x: tf.Tensor,
  v0: tf.Tensor | null,
  save: tf.GradSaveFunc,
): { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } | null {
  const { T } = run;
  const dyn = run.dynamics();
  const r = neuronForwardOnHeap(dyn, x, T, v0, run.returnState);
  if (!r) return null;
  const N = x.size / T;
  if (r.nonFinite !== 0) checkNoNaN(peekFloats(x), run.who);
  run.report({
    spikeCount: r.spikeCount,
    neuronSteps: T * N,
    membrane: run.recordMembrane ? (r.h.dataSync() as Float32Array) : undefined,
  });
  save([r.h, r.value]);
  const gradFunc = (dy: tf.Tensor, [h, value]: tf.Tensor[]) => {
    const b = neuronBackwardOnHeap(dyn, run.surrogate, { h: h!, spikes: value!, dy }, T, N, v0 !== null);
    // Only a backend switch between forward and backward could take the tensors off the heap.
    if (!b) throw new Error(`${run.who}: the gradient's tensors left the wasm heap after the forward`);
    return [tf.reshape(b.dx, x.shape), ...(b.dv0 ? [tf.reshape(b.dv0, v0!.shape)] : [])];
  };
  return { value: r.value, gradFunc };
}
