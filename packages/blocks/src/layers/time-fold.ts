import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from '@hybridspike/core';

/** `[T, B, ...] -> [T*B, ...]`: per-sample layers run on every time step at once. */
export function foldTime(x: tf.Tensor): tf.Tensor {
  if (x.rank < 2)
    throw new HybridSpikeError('BAD_SHAPE', `expected time-major [T, B, ...], got shape [${x.shape}].`);
  return tf.reshape(x, [x.shape[0]! * x.shape[1]!, ...x.shape.slice(2)]);
}

/** `[T*B, ...] -> [T, B, ...]`. */
export function unfoldTime(x: tf.Tensor, T: number): tf.Tensor {
  return tf.reshape(x, [T, x.shape[0]! / T, ...x.shape.slice(1)]);
}
