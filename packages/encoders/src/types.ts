import type * as tf from '@tensorflow/tfjs-core';

/**
 * Turns a real tensor `[B, ...]` into a spike train `[T, B, ...]` of float32 0/1 values, with a
 * gradient (exact or surrogate) back to the input.
 */
export interface SpikeEncoder {
  /** Registry name of the encoder (`bitplane`, `rate`, ...). */
  readonly kind: string;
  /** Number of time steps T of the output. */
  readonly steps: number;
  /** `[B, ...]` -> `[T, B, ...]` spikes of 0/1, differentiable with the encoder's gradient. */
  encode(x: tf.Tensor): tf.Tensor;
}

/** Turns a spike train `[T, B, ...]` back into a real tensor `[B, ...]`, differentiably. */
export interface SpikeDecoder {
  /** The registry name (`bitplane`, `rate`). */
  readonly kind: string;
  /** `[T, B, ...]` spikes -> `[B, ...]` values. */
  decode(spikes: tf.Tensor): tf.Tensor;
}

declare module '@hybridspike/core' {
  interface ComponentKinds {
    encoder: SpikeEncoder;
    decoder: SpikeDecoder;
  }
}
