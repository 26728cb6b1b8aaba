import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  HybridSpikeError,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type OnnxExportable,
} from '@hybridspike/core';

function check4d(x: tf.Tensor, who: string, kernel: number, padding: number): void {
  checkTensor(x, `${who} input`, 4);
  const [, h, w] = x.shape as number[];
  if (h! + 2 * padding < kernel || w! + 2 * padding < kernel) {
    throw new HybridSpikeError(
      'BAD_SHAPE',
      `${who}(kernel ${kernel}) got a ${h}x${w} input, smaller than its window; use a larger input.`,
    );
  }
}

/** Square-window pooling on NHWC with explicit padding, then a 'valid' pool. */
abstract class Pool2d extends Module implements OnnxExportable {
  constructor(
    readonly kernel: number,
    readonly stride = kernel,
    readonly padding = 0,
  ) {
    super();
  }
  /** Value the padding holds. */
  protected abstract readonly padValue: number;
  /** The ONNX operator and its extra attributes. */
  protected abstract readonly onnxOp: { type: string; attrs: Record<string, number> };
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const [h, w] = x.shape.slice(-2) as [number, number];
    const out = (s: number) => Math.floor((s + 2 * this.padding - this.kernel) / this.stride) + 1;
    const p = this.padding;
    const attrs = {
      kernel_shape: [this.kernel, this.kernel],
      strides: [this.stride, this.stride],
      pads: [p, p, p, p],
    };
    const name = ctx.g.op(this.onnxOp.type, [x.name], { ...attrs, ...this.onnxOp.attrs }, ctx.pathOf(this));
    return { name, shape: [x.shape[0]!, x.shape[1]!, out(h), out(w)] };
  }
  protected abstract pool(x: tf.Tensor4D): tf.Tensor;
  forward(x: tf.Tensor): tf.Tensor {
    check4d(x, this.typeName, this.kernel, this.padding);
    const p = this.padding;
    return this.pool(
      (p
        ? tf.pad(
            x,
            [
              [0, 0],
              [p, p],
              [p, p],
              [0, 0],
            ],
            this.padValue,
          )
        : x) as tf.Tensor4D,
    );
  }
}

/** Average pooling on NHWC; padding counts as zeros (PyTorch `count_include_pad=True`). */
export class AvgPool2d extends Pool2d {
  protected readonly padValue = 0;
  protected readonly onnxOp = { type: 'AveragePool', attrs: { count_include_pad: 1 } };
  protected pool(x: tf.Tensor4D): tf.Tensor {
    return tf.avgPool(x, this.kernel, this.stride, 'valid');
  }
}

/** Max pooling on NHWC; padding never wins (PyTorch semantics). */
export class MaxPool2d extends Pool2d {
  protected readonly padValue = -3.4e38;
  protected readonly onnxOp = { type: 'MaxPool', attrs: {} };
  protected pool(x: tf.Tensor4D): tf.Tensor {
    return tf.maxPool(x, this.kernel, this.stride, 'valid');
  }
}

/** Mean over H and W: `[N, H, W, C] -> [N, C]`. */
export class GlobalAvgPool extends Module implements OnnxExportable {
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'GlobalAvgPool input', 4);
    return tf.mean(x, [1, 2]);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const p = ctx.g.op('GlobalAveragePool', [x.name], {}, ctx.pathOf(this));
    return { name: ctx.g.op('Flatten', [p], { axis: 1 }), shape: [x.shape[0]!, x.shape[1]!] };
  }
}

/** `[N, ...] -> [N, prod(...)]`. */
export class Flatten extends Module implements OnnxExportable {
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'Flatten input', 2);
    return tf.reshape(x, [x.shape[0]!, -1]);
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const size = (x.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return { name: ctx.g.op('Flatten', [x.name], { axis: 1 }, ctx.pathOf(this)), shape: [x.shape[0]!, size] };
  }
}
