// Modules for the NIR primitives our layers do not cover, on time-major tensors `[T, B, ...]`
// (NHWC per step), each with a forward and an ONNX lowering, so that an imported graph runs,
// trains where it can, and exports like our own models.
import * as tf from '@tensorflow/tfjs-core';
import { Module, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';

/** Per-step NHWC `[H, W, C]` values of a NIR `[C, H, W]` array (other ranks: as they are). */
export function chwToHwc(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 3) return { data, shape };
  const [C, H, W] = shape as [number, number, number];
  const out = new Float32Array(data.length);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) out[(y * W + x) * C + c] = data[(c * H + y) * W + x]!;
  return { data: out, shape: [H, W, C] };
}

/** `y = x * scale` (NIR `Scale`, or a constant factor such as a neuron's input resistance). */
export class NirScale extends Module implements OnnxExportable {
  readonly scale: tf.Variable;
  constructor(values: Float32Array | number, shape: number[] = []) {
    super();
    this.scale = this.addBuffer(
      'scale',
      typeof values === 'number' ? tf.scalar(values) : tf.tensor(values, shape),
    );
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.scale);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const s = this.scale;
    const c = ctx.g.floatConst(Array.from(s.dataSync()), s.shape.length ? s.shape : undefined);
    return { name: ctx.g.op('Mul', [x.name, c], {}, ctx.pathOf(this)), shape: x.shape };
  }
}

/**
 * NIR `Flatten` of a channels-first per-step shape: our tensors are NHWC, so each step is put in
 * NIR's (C, H, W) order before it is flattened, and a following Linear sees NIR's element order.
 */
export class NirFlatten extends Module implements OnnxExportable {
  constructor(readonly inputShape: number[]) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    const [T, B] = x.shape as [number, number];
    const chw = x.rank === 5 ? tf.transpose(x, [0, 1, 4, 2, 3]) : x;
    return tf.reshape(chw, [T, B, -1]);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    // The exporter's values are already NCHW per step: flatten the dims after T and N.
    const n = (x.shape.slice(2) as number[]).reduce((a, b) => a * b, 1);
    const shape = ctx.g.intConst([x.shape[0] as number, -1, n]);
    return {
      name: ctx.g.op('Reshape', [x.name, shape], {}, ctx.pathOf(this)),
      shape: [x.shape[0]!, x.shape[1]!, n],
    };
  }
}

/** NIR `Threshold`: `z = 1 if x > threshold else 0` per step (no state, no gradient). */
export class NirThreshold extends Module implements OnnxExportable {
  constructor(readonly threshold: number) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.cast(tf.greater(x, this.threshold), 'float32');
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const g = ctx.g.op('Greater', [x.name, ctx.g.floatConst(this.threshold)]);
    return { name: ctx.g.op('Cast', [g], { to: 1 }, ctx.pathOf(this)), shape: x.shape };
  }
}

/**
 * Leaky integrator (NIR `LI`, and `I` with `leak = 0`) under one Euler step per time step:
 * `v <- v + leak * (vLeak - v) + gain * x`, `v` starting at 0; the output is `v` at every step.
 * For LI `leak = dt / tau`, `gain = dt * r / tau`; for I `leak = 0`, `gain = dt * r`.
 */
export class NirIntegrator extends Module implements OnnxExportable {
  constructor(
    readonly leak: number,
    readonly gain: number,
    readonly vLeak = 0,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const steps = tf.unstack(x);
      let v = tf.zerosLike(steps[0]!);
      const out: tf.Tensor[] = [];
      for (const xt of steps) {
        v = tf.add(tf.add(v, tf.mul(tf.sub(this.vLeak, v), this.leak)), tf.mul(xt, this.gain));
        out.push(v);
      }
      return tf.stack(out);
    });
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const g = ctx.g;
    const T = x.shape[0] as number;
    const path = ctx.pathOf(this);
    const xs = g.opMulti('Split', [x.name], T, { axis: 0 }, `${path}/x`);
    let v = g.floatConst(0);
    const steps: string[] = [];
    for (let t = 0; t < T; t++) {
      const leakTerm = g.op('Mul', [g.op('Sub', [g.floatConst(this.vLeak), v]), g.floatConst(this.leak)]);
      v = g.op(
        'Add',
        [g.op('Add', [v, leakTerm]), g.op('Mul', [xs[t]!, g.floatConst(this.gain)])],
        {},
        `${path}/v${t}`,
      );
      steps.push(v);
    }
    return { name: g.op('Concat', steps, { axis: 0 }, `${path}/out`), shape: x.shape };
  }
}
