import * as tf from '@tensorflow/tfjs-core';
import { customGradOp } from '@hybridspike/core';
import type { NeuronDynamics } from './dynamics.js';
import { surrogateGradTensor, type Surrogate } from './surrogates.js';

/** Heaviside `H(z)` (H(0) = 1) with the surrogate derivative, as one small op. */
export function spikeFn(z: tf.Tensor, surrogate: Surrogate): tf.Tensor {
  return customGradOp(([zIn], save) => {
    save([zIn!]);
    return {
      value: tf.cast(tf.greaterEqual(zIn!, 0), 'float32'),
      gradFunc: (dy, [zs]) => [tf.mul(dy, surrogateGradTensor(surrogate, zs!))],
    };
  })(z);
}

/** Identity forward, zero gradient (tfjs has no stopGradient). */
export function detach(x: tf.Tensor): tf.Tensor {
  return customGradOp(([xIn]) => ({ value: tf.clone(xIn!), gradFunc: (dy) => [tf.zerosLike(dy)] }))(x);
}

/**
 * The same neuron built from plain tf ops, step by step (about 6 ops a step), differentiated by
 * tf autodiff: the independent reference the fused kernels are tested and benchmarked against.
 * `k` may be a tensor (PLIF) so its gradient flows too.
 */
export function unfusedNeuron(
  x: tf.Tensor,
  d: NeuronDynamics,
  surrogate: Surrogate,
  k: tf.Tensor | number = d.k,
): tf.Tensor {
  const steps = tf.unstack(x, 0);
  const vr = d.vReset ?? 0;
  let v: tf.Tensor = tf.fill(steps[0]!.shape, vr);
  const out: tf.Tensor[] = [];
  for (const xt of steps) {
    let h: tf.Tensor;
    if (d.kind === 'if') h = tf.add(v, xt);
    else if (d.decayInput) h = tf.add(v, tf.mul(k, tf.sub(xt, tf.sub(v, vr))));
    else h = tf.add(tf.sub(v, tf.mul(k, tf.sub(v, vr))), xt);
    const s = spikeFn(tf.sub(h, d.vThreshold), surrogate);
    const sr = d.detachReset ? detach(s) : s;
    v =
      d.vReset !== null
        ? tf.add(tf.mul(h, tf.sub(1, sr)), tf.mul(vr, sr))
        : tf.sub(h, tf.mul(sr, d.vThreshold));
    out.push(s);
  }
  return tf.stack(out, 0);
}
