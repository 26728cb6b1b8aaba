import * as tf from '@tensorflow/tfjs-core';
import { columnSumsOf, customGradOp } from '@hybridspike/core';

/**
 * Sums a `[..., C]` tensor over every axis but the last (BatchNorm's statistics). Forward: a SIMD
 * column sum in float64 of the values read in place in the backend's memory (on wasm a reduction
 * over leading axes transposes first, ~10x slower, and `ones @ x` repacks x as weights each call).
 * Backward: `ones[M, 1] @ dy[1, C]`, the broadcast as one matmul.
 */
export function sumLeading(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.rank - 1]!;
  const m = x.size / c;
  const op = customGradOp(([xi]) => {
    return {
      value: tf.tensor1d(columnSumsOf(xi!)),
      gradFunc: (dy) => [
        tf.reshape(tf.matMul(tf.ones([m, 1]), tf.reshape(dy, [1, c]) as tf.Tensor2D), x.shape),
      ],
    };
  });
  return op(x) as tf.Tensor1D;
}
