import type * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type OnnxExportable,
} from '@hybridspike/core';
import { foldTime, unfoldTime } from './time-fold.js';

/**
 * Applies a per-sample layer (Conv2d, BatchNorm, Linear, pools) to a time-major `[T, B, ...]`
 * tensor by folding T into the batch, so BatchNorm statistics run over T*B*H*W.
 */
export class MultiStep extends Module implements OnnxExportable {
  constructor(readonly inner: Module) {
    super();
    this.addModule('inner', inner);
  }
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'MultiStep input', 3);
    return unfoldTime(this.inner.forward(foldTime(x)), x.shape[0]!);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.unfold(ctx.emit(this.inner, ctx.fold(x)), x.shape[0] as number);
  }
}
