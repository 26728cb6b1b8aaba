import * as tf from '@tensorflow/tfjs-core';
import { customGradOp, peekFloats } from '@hybridspike/core';

/**
 * Sums a `[..., C]` tensor over every axis but the last (BatchNorm's statistics). Forward: a
 * column sum in float64 read straight from the backend's memory (on wasm a reduction over leading
 * axes transposes first, ~10x slower, and the `ones @ x` matmul repacks x as weights every call).
 * Backward: `ones[M, 1] @ dy[1, C]`, the broadcast as one matmul.
 */
export function sumLeading(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.rank - 1]!;
  const m = x.size / c;
  const op = customGradOp(([xi]) => {
    const data = peekFloats(xi!);
    const acc = new Float64Array(c);
    for (let r = 0, at = 0; r < m; r++) for (let j = 0; j < c; j++, at++) acc[j]! += data[at]!;
    return {
      value: tf.tensor1d(Float32Array.from(acc)),
      gradFunc: (dy) => [
        tf.reshape(tf.matMul(tf.ones([m, 1]), tf.reshape(dy, [1, c]) as tf.Tensor2D), x.shape),
      ],
    };
  });
  return op(x) as tf.Tensor1D;
}
