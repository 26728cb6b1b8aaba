import type * as tf from '@tensorflow/tfjs-core';
import { Module, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';

/** Runs children in order; children are named '0', '1', ... (PyTorch `nn.Sequential`). */
export class Sequential extends Module implements OnnxExportable {
  readonly layers: Module[];
  constructor(layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.addModule(String(i), m));
  }
  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return this.layers.reduce((v, l) => ctx.emit(l, v), x);
  }
}
