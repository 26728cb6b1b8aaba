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

/** Options of {@link Conv2d}: kernel size, stride, padding, bias. */
export interface Conv2dOptions {
  kernel: number;
  stride?: number;
  /** Zero padding on every side (PyTorch `padding`); default kernel // 2. */
  padding?: number;
  bias?: boolean;
}

/**
 * 2-D convolution on NHWC `[N, H, W, Cin]`, weight kept in tfjs layout `[kh, kw, Cin, Cout]`
 * (ONNX export transposes to `[Cout, Cin, kh, kw]`). PyTorch default init:
 * `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` for weight and bias.
 */
export class Conv2d extends Module implements OnnxExportable {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  /**
   * Whether this layer is a synapse of the SNN side (its inputs are spikes): op counting then
   * counts synaptic operations instead of MACs. Set by the SNN blocks that own it.
   */
  spikingInput = false;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    options: Conv2dOptions,
    ctx: InitContext,
  ) {
    super();
    this.kernel = options.kernel;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? Math.floor(options.kernel / 2);
    const bound = 1 / Math.sqrt(inChannels * this.kernel * this.kernel);
    this.weight = this.addParameter(
      'weight',
      uniform(ctx, [this.kernel, this.kernel, inChannels, outChannels], bound),
    );
    this.bias = options.bias ? this.addParameter('bias', uniform(ctx, [outChannels], bound)) : null;
  }

  /** ONNX `Conv` on NCHW; the weight is written as ONNX's `[Cout, Cin, kh, kw]`. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const p = ctx.pathOf(this);
    const k = this.kernel;
    const [ci, co] = [this.inChannels, this.outChannels];
    const wd = this.weight.dataSync() as Float32Array;
    const nchw = new Float32Array(wd.length);
    for (let y = 0; y < k; y++)
      for (let xx = 0; xx < k; xx++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++)
            nchw[((o * ci + i) * k + y) * k + xx] = wd[((y * k + xx) * ci + i) * co + o]!;
    const inputs = [x.name, ctx.g.floatInit(`${p}.weight`, [co, ci, k, k], nchw)];
    if (this.bias) inputs.push(ctx.g.floatInit(`${p}.bias`, [co], this.bias.dataSync() as Float32Array));
    const s = this.stride;
    const pad = this.padding;
    const name = ctx.g.op(
      'Conv',
      inputs,
      { kernel_shape: [k, k], strides: [s, s], pads: [pad, pad, pad, pad] },
      p,
    );
    const [h, w] = x.shape.slice(-2) as [number, number];
    return { name, shape: [x.shape[0]!, co, this.outSize(h), this.outSize(w)] };
  }

  /** Output spatial size for an input size (PyTorch's floor formula). */
  outSize(size: number): number {
    return Math.floor((size + 2 * this.padding - this.kernel) / this.stride) + 1;
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 4);
    if (x.shape[3] !== this.inChannels) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `Conv2d expects ${this.inChannels} input channels (NHWC), got shape [${x.shape}].`,
      );
    }
    const p = this.padding;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ];
    let y: tf.Tensor = tf.conv2d(
      x as tf.Tensor4D,
      this.weight as tf.Tensor4D,
      this.stride,
      p === 0 ? 'valid' : pad,
    );
    if (this.bias) y = tf.add(y, this.bias);
    activeRecorder()?.record(this, 'conv', x, y);
    return y;
  }
}
