import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  HybridSpikeError,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type OnnxExportable,
} from '@hybridspike/core';
import { uniform, type InitContext } from './init.js';
import { activeRecorder } from './op-recorder.js';

/**
 * Fully connected layer on `[..., in]`; weight in tfjs layout `[in, out]` (PyTorch stores
 * `[out, in]`), PyTorch default init `U(-1/sqrt(in), 1/sqrt(in))`.
 */
export class Linear extends Module implements OnnxExportable {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  /**
   * Whether this layer is a synapse of the SNN side (its inputs are spikes): op counting then
   * counts synaptic operations instead of MACs. Set by the SNN blocks that own it.
   */
  spikingInput = false;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    ctx: InitContext,
    bias = true,
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.addParameter('weight', uniform(ctx, [inFeatures, outFeatures], bound));
    this.bias = bias ? this.addParameter('bias', uniform(ctx, [outFeatures], bound)) : null;
  }

  /** ONNX `MatMul` (+ `Add`) on the last axis; the weight keeps tfjs's `[in, out]`. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const p = ctx.pathOf(this);
    const g = ctx.g;
    const w = g.floatInit(
      `${p}.weight`,
      [this.inFeatures, this.outFeatures],
      this.weight.dataSync() as Float32Array,
    );
    let y = g.op('MatMul', [x.name, w], {}, p);
    if (this.bias)
      y = g.op(
        'Add',
        [y, g.floatInit(`${p}.bias`, [this.outFeatures], this.bias.dataSync() as Float32Array)],
        {},
        `${p}/bias`,
      );
    return { name: y, shape: [...x.shape.slice(0, -1), this.outFeatures] };
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 2);
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `Linear expects ${this.inFeatures} features in the last dim, got shape [${x.shape}].`,
      );
    }
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]);
    let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, this.weight as tf.Tensor2D);
    if (this.bias) y = tf.add(y, this.bias);
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    activeRecorder()?.record(this, 'linear', x, y);
    return y;
  }
}
