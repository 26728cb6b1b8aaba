import * as tf from '@tensorflow/tfjs-core';

/**
 * A surrogate derivative of the Heaviside step `H(x)`, `x = h - v_threshold`: the forward
 * stays a hard 0/1 spike, the backward uses `grad(x)` instead of the Dirac delta.
 */
export interface Surrogate {
  /** Registry name (`atan`, `sigmoid`, ...). */
  readonly name: string;
  /** Its parameters, for configs, logs and ONNX metadata. */
  readonly params: Readonly<Record<string, number>>;
  /** The derivative at one point (used by the fused kernels; keep it cheap and pure). */
  grad(x: number): number;
  /** The derivative as tf ops (used by unfused references); defaults to mapping {@link grad}. */
  gradTensor?(x: tf.Tensor): tf.Tensor;
  /**
   * For the built-in surrogates only: the same closed form inside the SIMD WebAssembly BPTT
   * kernel (`code` 0 atan, 1 fastSigmoid, 2 triangle, with its two constants). A surrogate
   * without it runs in the JavaScript loop.
   */
  readonly kernel?: { code: 0 | 1 | 2; p0: number; p1: number };
}

/** ArcTan surrogate (SpikingJelly default): `alpha / 2 / (1 + (pi / 2 * alpha * x)^2)`. */
export function atan(alpha = 2): Surrogate {
  const c = (Math.PI / 2) * alpha;
  return {
    name: 'atan',
    params: { alpha },
    grad: (x) => alpha / 2 / (1 + c * x * (c * x)),
    kernel: { code: 0, p0: alpha / 2, p1: c },
    gradTensor: (x) => tf.div(alpha / 2, tf.add(1, tf.square(tf.mul(c, x)))),
  };
}

/** Sigmoid surrogate: `alpha * s(alpha x) * (1 - s(alpha x))`. */
export function sigmoid(alpha = 4): Surrogate {
  return {
    name: 'sigmoid',
    params: { alpha },
    grad: (x) => {
      const s = 1 / (1 + Math.exp(-alpha * x));
      return alpha * s * (1 - s);
    },
    gradTensor: (x) => {
      const s = tf.sigmoid(tf.mul(alpha, x));
      return tf.mul(alpha, tf.mul(s, tf.sub(1, s)));
    },
  };
}

/** Fast sigmoid / SuperSpike (Zenke and Ganguli 2018): `1 / (slope |x| + 1)^2`. */
export function fastSigmoid(slope = 25): Surrogate {
  return {
    name: 'fastSigmoid',
    params: { slope },
    kernel: { code: 1, p0: slope, p1: 0 },
    grad: (x) => {
      const d = slope * Math.abs(x) + 1;
      return 1 / (d * d);
    },
    gradTensor: (x) => tf.div(1, tf.square(tf.add(tf.mul(slope, tf.abs(x)), 1))),
  };
}

/** Triangle surrogate: `max(0, 1 - |x| / width) / width`. */
export function triangle(width = 1): Surrogate {
  return {
    name: 'triangle',
    params: { width },
    kernel: { code: 2, p0: width, p1: 0 },
    grad: (x) => Math.max(0, 1 - Math.abs(x) / width) / width,
    gradTensor: (x) => tf.div(tf.relu(tf.sub(1, tf.div(tf.abs(x), width))), width),
  };
}

/** The surrogate derivative as tf ops, falling back to mapping `grad` over the values. */
export function surrogateGradTensor(s: Surrogate, x: tf.Tensor): tf.Tensor {
  if (s.gradTensor) return s.gradTensor(x);
  const d = x.dataSync();
  return tf.tensor(
    Float32Array.from(d, (v) => s.grad(v)),
    x.shape,
  );
}
