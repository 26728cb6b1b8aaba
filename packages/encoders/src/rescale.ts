import * as tf from '@tensorflow/tfjs-core';
import { checkTensor, HybridSpikeError } from '@hybridspike/core';

/** How an encoder maps its input to [0, 1] (DESIGN.md 4.1 step 1). */
export type RescaleMode = 'tensor' | 'sample' | 'none';

/**
 * Checks `x` (a tensor, finite, non-empty) and maps it to [0, 1] with differentiable ops.
 * Inputs already in [0, 1] pass unchanged; otherwise `'tensor'` min-max scales over the
 * whole tensor and `'sample'` over each sample (dim 0). A constant tensor or sample becomes
 * all ones. `'none'` requires the input to be in [0, 1] already.
 */
export function rescaleTo01(x: tf.Tensor, mode: RescaleMode, who: string): tf.Tensor {
  checkTensor(x, `${who} input`, 1);
  const d = x.dataSync();
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) {
      throw new HybridSpikeError('NON_FINITE', `${who} input holds ${v} at flat index ${i}; encoders need finite values.`);
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0 && hi <= 1) return tf.clone(x);
  if (mode === 'none') {
    throw new HybridSpikeError('BAD_ARGUMENT', `${who} with rescale 'none' needs inputs in [0, 1], got [${lo}, ${hi}]; use rescale 'tensor' or 'sample'.`);
  }
  return tf.tidy(() => {
    if (mode === 'tensor') {
      if (hi === lo) return tf.onesLike(x);
      const mn = tf.min(x);
      return tf.div(tf.sub(x, mn), tf.sub(tf.max(x), mn));
    }
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    if (axes.length === 0) return tf.onesLike(x);
    const mn = tf.min(x, axes, true);
    const range = tf.sub(tf.max(x, axes, true), mn);
    const flat = tf.equal(range, 0);
    // Constant samples become ones; the safe divisor keeps their gradient finite (it is zero).
    const scaled = tf.div(tf.sub(x, mn), tf.where(flat, tf.onesLike(range), range));
    return tf.where(tf.broadcastTo(flat, x.shape), tf.onesLike(x), scaled);
  });
}
