import * as tf from '@tensorflow/tfjs-core';
import {
  HybridSpikeError,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type OnnxExportable,
} from '@hybridspike/core';

/** Which side(s) of every fusion block a model builds. */
export type Branch = 'hybrid' | 'ann' | 'snn';

/**
 * HAS-8 fusion: `out = snn(x) + ann(x)`. An ANN-only or SNN-only twin keeps just one side,
 * under the same name, so parameter paths line up across the three.
 */
export class Fusion extends Module implements OnnxExportable {
  readonly ann: Module | null;
  readonly snn: Module | null;
  constructor(branch: Branch, makeAnn: () => Module, makeSnn: () => Module) {
    super();
    if (!['hybrid', 'ann', 'snn'].includes(branch)) {
      throw new HybridSpikeError('BAD_OPTIONS', `branch must be 'hybrid', 'ann' or 'snn', got '${branch}'.`);
    }
    this.ann = branch !== 'snn' ? this.addModule('ann', makeAnn()) : null;
    this.snn = branch !== 'ann' ? this.addModule('snn', makeSnn()) : null;
  }
  forward(x: tf.Tensor): tf.Tensor {
    if (this.ann && this.snn) return tf.add(this.snn.forward(x), this.ann.forward(x));
    return (this.ann ?? this.snn)!.forward(x);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const parts = [this.snn, this.ann].filter((b): b is Module => b !== null).map((b) => ctx.emit(b, x));
    if (parts.length === 1) return parts[0]!;
    const name = ctx.g.op('Add', [parts[0]!.name, parts[1]!.name], {}, `${ctx.pathOf(this)}/fuse`);
    return { name, shape: parts[0]!.shape };
  }
}
