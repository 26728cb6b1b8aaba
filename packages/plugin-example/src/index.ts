// An example third-party plugin: importing it registers `surrogate:example-box` and
// `encoder:example-threshold`. A sweep file loads it with `plugins: ['@hybridspike/plugin-example']`.
// The encoder describes its own ONNX lowering (`toOnnx`), so models using it export like built-in
// ones; a surrogate shapes only the backward pass, so it needs none.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  customGradOp,
  registerOnce,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import { z } from 'zod';

/** Rectangular surrogate: `1 / width` inside `|x| <= width / 2`, else 0. */
export function box(width = 1) {
  return {
    name: 'example-box',
    params: { width },
    grad: (x: number) => (Math.abs(x) <= width / 2 ? 1 / width : 0),
  };
}

/**
 * Threshold encoder: `T` identical steps of `x >= threshold` (after no rescale; inputs in [0, 1]),
 * straight-through gradient summed over time.
 */
export class ThresholdEncoder {
  readonly kind = 'example-threshold';
  constructor(readonly options: { steps: number; threshold: number }) {}
  get steps(): number {
    return this.options.steps;
  }
  encode(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'ThresholdEncoder input', 1);
    const { steps, threshold } = this.options;
    return customGradOp(([v]) => ({
      value: tf.tidy(() =>
        tf.stack(new Array<tf.Tensor>(steps).fill(tf.cast(tf.greaterEqual(v!, threshold), 'float32'))),
      ),
      gradFunc: (dy) => [tf.sum(dy, 0)],
    }))(x);
  }
  /** The same as ONNX: `Cast(x >= threshold)` repeated over a new leading time axis. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const g = ctx.g;
    const { steps, threshold } = this.options;
    const hit = g.op(
      'Cast',
      [g.op('GreaterOrEqual', [x.name, g.floatConst(threshold)])],
      { to: 1 },
      'threshold_spike',
    );
    const step = g.op('Unsqueeze', [hit, g.intConst([0])]);
    const name = g.op('Concat', new Array<string>(steps).fill(step), { axis: 0 }, 'threshold_spikes');
    return { name, shape: [steps, ...x.shape] };
  }
}

registerOnce({
  kind: 'surrogate',
  name: 'example-box',
  options: z.object({ width: z.number().positive().default(1) }),
  create: (o) => box(o.width),
});
registerOnce({
  kind: 'encoder',
  name: 'example-threshold',
  options: z.object({ steps: z.number().int().min(1).default(4), threshold: z.number().default(0.5) }),
  create: (o) => new ThresholdEncoder(o) as never,
});
