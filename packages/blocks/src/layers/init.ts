import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@hybridspike/core';

/** Where layers draw their initial weights from; one seeded stream per model. */
export interface InitContext {
  rng: Rng;
}

/** A fresh context from a seed. */
export function initContext(seed: number | string = 0): InitContext {
  return { rng: new Rng(seed) };
}

/** `U(-bound, bound)` of a shape, from the context's stream (PyTorch's default for conv/linear). */
export function uniform(ctx: InitContext, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (ctx.rng.uniform() * 2 - 1) * bound;
  return tf.tensor(v, shape, 'float32');
}
