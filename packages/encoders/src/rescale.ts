import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkTensor, customGradOp, floatTensor, HybridSpikeError, peekFloats } from '@hybridspike/core';

/** Options schema of the rescale to [0, 1] (DESIGN 4.1 step 1), shared by every encoder. */
export const rescaleOption = z.enum(['tensor', 'sample', 'none']).default('tensor');
/** How input is mapped to [0, 1]: per tensor min-max, per sample min-max, or taken as is. */
export type RescaleMode = z.output<typeof rescaleOption>;

/**
 * Checks `x` (a tensor, finite, non-empty) and maps it to [0, 1] with differentiable ops.
 * Inputs already in [0, 1] pass unchanged; otherwise `'tensor'` min-max scales over the
 * whole tensor and `'sample'` over each sample (dim 0). A constant tensor or sample becomes
 * all ones. `'none'` requires the input to be in [0, 1] already.
 */
export function rescaleTo01(x: tf.Tensor, mode: RescaleMode, who: string): tf.Tensor {
  checkTensor(x, `${who} input`, 1);
  const d = peekFloats(x);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) {
      throw new HybridSpikeError(
        'NON_FINITE',
        `${who} input holds ${v} at flat index ${i}; encoders need finite values.`,
      );
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0 && hi <= 1) return tf.clone(x);
  if (mode === 'none') {
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      `${who} with rescale 'none' needs inputs in [0, 1], got [${lo}, ${hi}]; use rescale 'tensor' or 'sample'.`,
    );
  }
  if (mode === 'tensor') {
    if (hi === lo) return tf.onesLike(x);
    return minMaxTensor(x, lo, hi);
  }
  return tf.tidy(() => {
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

/**
 * `(x - min) / (max - min)` over the whole tensor as one op with its exact gradient:
 * `dx_i = g_i / R`, plus `-sum(g)/R + sum(g (x - m))/R^2` shared by the minimum's position(s)
 * and `-sum(g (x - m))/R^2` by the maximum's (split evenly among ties, as PyTorch does).
 * Autodiff of min/max costs several full-size Equal/Select passes on wasm.
 */
function minMaxTensor(x: tf.Tensor, lo: number, hi: number): tf.Tensor {
  return customGradOp(([xin], save) => {
    save([xin!]);
    const range = Math.fround(hi - lo);
    const value = tf.div(tf.sub(xin!, lo), range);
    return {
      value,
      gradFunc: (dy, [xs]) => [
        floatTensor(xs!.shape, (dx) => {
          const g = peekFloats(dy);
          const xd = peekFloats(xs!);
          const n = xd.length;
          let sumG = 0;
          let sumGX = 0;
          let nMin = 0;
          let nMax = 0;
          for (let i = 0; i < n; i++) {
            dx[i] = g[i]! / range;
            sumG += g[i]!;
            sumGX += g[i]! * (xd[i]! - lo);
            if (xd[i] === lo) nMin++;
            if (xd[i] === hi) nMax++;
          }
          const dMin = -sumG / range + sumGX / (range * range);
          const dMax = -sumGX / (range * range);
          for (let i = 0; i < n; i++) {
            if (xd[i] === lo) dx[i]! += dMin / nMin;
            if (xd[i] === hi) dx[i]! += dMax / nMax;
          }
        }),
      ],
    };
  })(x);
}
