import * as tf from '@tensorflow/tfjs-core';

/**
 * Sums a `[..., C]` tensor over every axis but the last, as `ones[1, M] @ x[M, C]`: on wasm a
 * reduction over leading axes transposes first and runs ~10x slower than this matmul.
 */
export function sumLeading(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.rank - 1]!;
  const m = x.size / c;
  return tf.reshape(tf.matMul(tf.ones([1, m]), tf.reshape(x, [m, c]) as tf.Tensor2D), [c]);
}
