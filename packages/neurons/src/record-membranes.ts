import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@hybridspike/core';
import { SpikingNeuron } from './neuron.js';

/** One neuron layer's membrane potentials from a recorded forward. */
export interface MembraneRecord {
  neuron: SpikingNeuron;
  /** Pre-reset potentials, time-major, laid out in `shape` (`[T, B, ...]`). */
  h: Float32Array;
  shape: number[];
  /** The threshold as float32: `h >= threshold` is the spike. */
  threshold: number;
}

/**
 * Runs `fn` with every neuron under `root` recording its membrane potentials, then restores the
 * flags. Returns `fn`'s result and, by module path, what each neuron layer saw last.
 */
export function recordMembranes<T>(
  root: Module,
  fn: () => T,
): { result: T; records: Map<string, MembraneRecord> } {
  const neurons = [...root.namedModules()].filter(
    (e): e is [string, SpikingNeuron] => e[1] instanceof SpikingNeuron,
  );
  const saved = neurons.map(([, n]) => n.recordMembrane);
  for (const [, n] of neurons) n.recordMembrane = true;
  let result: T;
  try {
    result = fn();
  } finally {
    neurons.forEach(([, n], i) => (n.recordMembrane = saved[i]!));
  }
  const records = new Map<string, MembraneRecord>();
  for (const [path, n] of neurons) {
    if (n.lastMembrane && n.lastMembraneShape) {
      records.set(path, {
        neuron: n,
        h: n.lastMembrane,
        shape: n.lastMembraneShape,
        threshold: Math.fround(n.options.vThreshold),
      });
    }
  }
  return { result, records };
}

/**
 * The tfjs side of an ONNX parity check that compares spikes: a function of NHWC inputs giving
 * `model`'s eval-mode logits and each neuron layer's membrane by path. Pass it to `checkOnnx` of
 * `@hybridspike/onnx/check` in place of the model.
 *
 * @example
 * ```ts
 * const report = await checkOnnx(debug.bytes, parityReference(model), x, { spikeOutputs: debug.spikeOutputs });
 * ```
 */
export function parityReference(
  model: Module,
): (inputs: tf.Tensor) => { logits: Float32Array; layers: Map<string, MembraneRecord> } {
  return (inputs) => {
    const wasTraining = model.training;
    model.eval();
    try {
      const { result, records } = recordMembranes(model, () =>
        tf.tidy(() => model.forward(inputs).dataSync() as Float32Array),
      );
      return { logits: result, layers: records };
    } finally {
      model.train(wasTraining);
    }
  };
}
