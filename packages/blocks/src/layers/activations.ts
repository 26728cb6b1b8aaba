import * as tf from '@tensorflow/tfjs-core';
import { Module, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';

/** `max(x, slope * x)`; the HAS-8 ANN blocks use slope 0.01. */
export class LeakyReLU extends Module implements OnnxExportable {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, this.slope);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return {
      name: ctx.g.op('LeakyRelu', [x.name], { alpha: { float: this.slope } }, ctx.pathOf(this)),
      shape: x.shape,
    };
  }
}

/** `max(x, 0)`. */
export class ReLU extends Module implements OnnxExportable {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return { name: ctx.g.op('Relu', [x.name], {}, ctx.pathOf(this)), shape: x.shape };
  }
}
