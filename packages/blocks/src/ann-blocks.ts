import * as tf from '@tensorflow/tfjs-core';
import { Module, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';
import { LeakyReLU, ReLU } from './layers/activations.js';
import { BatchNorm } from './layers/batch-norm.js';
import { Conv2d } from './layers/conv2d.js';
import type { InitContext } from './layers/init.js';
import { Linear } from './layers/linear.js';
import { AvgPool2d, MaxPool2d } from './layers/pool.js';

/** HAS-8 ANN conv block: Conv(3x3, pad 1, no bias) -> BatchNorm -> LeakyReLU(0.01) -> AvgPool(2, 2). */
export class AnnConvBlock extends Module implements OnnxExportable {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly act = this.addModule('act', new LeakyReLU(0.01));
  readonly pool = this.addModule('pool', new AvgPool2d(2, 2));
  constructor(inC: number, outC: number, ctx: InitContext) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inC, outC, { kernel: 3, padding: 1 }, ctx));
    this.bn = this.addModule('bn', new BatchNorm(outC));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.pool.forward(this.act.forward(this.bn.forward(this.conv.forward(x))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.emit(this.pool, ctx.emit(this.act, ctx.emit(this.bn, ctx.emit(this.conv, x))));
  }
}

/** HAS-8 ANN head: (Linear -> LeakyReLU(0.01)) x 3 with widths in -> 1024 -> 512 -> out. */
export class AnnLinearStack extends Module implements OnnxExportable {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;
  readonly act = this.addModule('act', new LeakyReLU(0.01));
  constructor(inF: number, outF: number, ctx: InitContext, hidden: [number, number] = [1024, 512]) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(inF, hidden[0], ctx));
    this.fc2 = this.addModule('fc2', new Linear(hidden[0], hidden[1], ctx));
    this.fc3 = this.addModule('fc3', new Linear(hidden[1], outF, ctx));
  }
  forward(x: tf.Tensor): tf.Tensor {
    const a = this.act;
    return a.forward(this.fc3.forward(a.forward(this.fc2.forward(a.forward(this.fc1.forward(x))))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const a = this.act;
    return ctx.emit(
      a,
      ctx.emit(this.fc3, ctx.emit(a, ctx.emit(this.fc2, ctx.emit(a, ctx.emit(this.fc1, x))))),
    );
  }
}

/** ResNet ANN stem: Conv 7x7/2 -> BatchNorm -> ReLU -> MaxPool 3/2 (pad 1). */
export class AnnInitConv extends Module implements OnnxExportable {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly act = this.addModule('act', new ReLU());
  readonly pool = this.addModule('pool', new MaxPool2d(3, 2, 1));
  constructor(inC: number, outC: number, ctx: InitContext) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inC, outC, { kernel: 7, stride: 2, padding: 3 }, ctx));
    this.bn = this.addModule('bn', new BatchNorm(outC));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.pool.forward(this.act.forward(this.bn.forward(this.conv.forward(x))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.emit(this.pool, ctx.emit(this.act, ctx.emit(this.bn, ctx.emit(this.conv, x))));
  }
}

/** conv -> bn pairs of a residual block, described once for the ANN and SNN sides. */
export interface ResidualPlan {
  convs: { inC: number; outC: number; kernel: number; stride: number }[];
  /** 1x1 strided projection of the shortcut when shape changes. */
  downsample: { inC: number; outC: number; stride: number } | null;
}

/** Plan of a basic (expansion 1) or bottleneck (expansion 4) block. */
export function residualPlan(
  kind: 'basic' | 'bottleneck',
  inC: number,
  width: number,
  stride: number,
): ResidualPlan {
  const outC = kind === 'basic' ? width : width * 4;
  const convs =
    kind === 'basic'
      ? [
          { inC, outC: width, kernel: 3, stride },
          { inC: width, outC: width, kernel: 3, stride: 1 },
        ]
      : [
          { inC, outC: width, kernel: 1, stride: 1 },
          { inC: width, outC: width, kernel: 3, stride },
          { inC: width, outC, kernel: 1, stride: 1 },
        ];
  return { convs, downsample: stride !== 1 || inC !== outC ? { inC, outC, stride } : null };
}

/** ANN residual block (basic or bottleneck): convs with BN and ReLU, projection shortcut, ReLU after the add. */
export class AnnResidualBlock extends Module implements OnnxExportable {
  readonly convs: Conv2d[];
  readonly bns: BatchNorm[];
  readonly downConv: Conv2d | null = null;
  readonly downBn: BatchNorm | null = null;
  constructor(plan: ResidualPlan, ctx: InitContext) {
    super();
    this.convs = plan.convs.map((c, i) =>
      this.addModule(`conv${i + 1}`, new Conv2d(c.inC, c.outC, { kernel: c.kernel, stride: c.stride }, ctx)),
    );
    this.bns = plan.convs.map((c, i) => this.addModule(`bn${i + 1}`, new BatchNorm(c.outC)));
    if (plan.downsample) {
      const d = plan.downsample;
      this.downConv = this.addModule(
        'down_conv',
        new Conv2d(d.inC, d.outC, { kernel: 1, stride: d.stride, padding: 0 }, ctx),
      );
      this.downBn = this.addModule('down_bn', new BatchNorm(d.outC));
    }
  }
  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    this.convs.forEach((c, i) => {
      y = this.bns[i]!.forward(c.forward(y));
      if (i < this.convs.length - 1) y = tf.relu(y);
    });
    const shortcut = this.downConv ? this.downBn!.forward(this.downConv.forward(x)) : x;
    return tf.relu(tf.add(y, shortcut));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const g = ctx.g;
    const p = ctx.pathOf(this);
    let y = x;
    this.convs.forEach((c, i) => {
      y = ctx.emit(this.bns[i]!, ctx.emit(c, y));
      if (i < this.convs.length - 1) y = { name: g.op('Relu', [y.name]), shape: y.shape };
    });
    const sc = this.downConv ? ctx.emit(this.downBn!, ctx.emit(this.downConv, x)) : x;
    return {
      name: g.op('Relu', [g.op('Add', [y.name, sc.name], {}, `${p}/add`)], {}, `${p}/out`),
      shape: y.shape,
    };
  }
}
