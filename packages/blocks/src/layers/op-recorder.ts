import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@hybridspike/core';

/** What a recorded call did: a synaptic layer, a BatchNorm, or a block's spike encode/decode. */
export type RecordedKind = 'conv' | 'linear' | 'batchnorm' | 'encoder' | 'decoder';

/** Receives every counted layer's input and output while {@link withOpRecorder} runs. */
export interface OpRecorder {
  /** One call of a counted layer: the layer, what it is, and the tensors it took and gave. */
  record(layer: Module, kind: RecordedKind, input: tf.Tensor, output: tf.Tensor): void;
}

let active: OpRecorder | null = null;

/** The recorder in effect (null almost always: counting is opt-in). */
export function activeRecorder(): OpRecorder | null {
  return active;
}

/** Runs `fn` with `recorder` receiving synaptic layer calls. */
export function withOpRecorder<T>(recorder: OpRecorder, fn: () => T): T {
  const prev = active;
  active = recorder;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
