import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from './errors.js';

/** Throws unless `x` is a tf.Tensor with at least `minRank` dimensions and no zero-sized one. */
export function checkTensor(x: unknown, what: string, minRank = 1): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      `${what} must be a tf.Tensor, got ${x === null ? 'null' : typeof x}.`,
    );
  }
  if (x.isDisposed) throw new HybridSpikeError('BAD_ARGUMENT', `${what} was already disposed.`);
  if (x.rank < minRank) {
    throw new HybridSpikeError('BAD_SHAPE', `${what} must have rank >= ${minRank}, got shape [${x.shape}].`);
  }
  if (x.size === 0)
    throw new HybridSpikeError('EMPTY', `${what} is empty (shape [${x.shape}]); pass at least one element.`);
}

/** Throws when `x` holds NaN or ±Inf, saying how many and where the first one is. */
export function checkFinite(x: tf.Tensor, what: string): void {
  const d = x.dataSync();
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      let bad = 0;
      for (let j = i; j < d.length; j++) if (!Number.isFinite(d[j]!)) bad++;
      throw new HybridSpikeError(
        'NON_FINITE',
        `${what} holds ${bad} non-finite value(s) (first: ${d[i]} at flat index ${i}); clean the input first.`,
      );
    }
  }
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
