import * as tf from '@tensorflow/tfjs-core';
import { Module, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';
import { SpikingNeuron } from '@hybridspike/neurons';
import type { ResidualPlan } from './ann-blocks.js';
import { BatchNorm } from './layers/batch-norm.js';
import { Conv2d } from './layers/conv2d.js';
import type { InitContext } from './layers/init.js';
import { Linear } from './layers/linear.js';
import { activeRecorder } from './layers/op-recorder.js';
import { AvgPool2d } from './layers/pool.js';
import { foldTime, unfoldTime } from './layers/time-fold.js';
import type { SpikingSpec } from './spiking-spec.js';

/** BatchNorm momentum of the SNN side, sqrt(0.1) in PyTorch's convention (authors' code). */
export const SNN_BN_MOMENTUM = Math.sqrt(0.1);

/** Marks a synaptic layer as fed by spikes, so op counting counts its synaptic operations. */
export function spikingLayer<M extends Conv2d | Linear>(m: M): M {
  m.spikingInput = true;
  return m;
}

/**
 * `decode(spiking(encode(x)))`: the SNN side of a HAS-8 block. Subclasses implement
 * {@link EncodeDecodeBlock.spiking} on time-major spikes `[T, B, ...]`; per-sample layers fold
 * T into the batch. Neuron state starts fresh on every forward.
 */
export abstract class EncodeDecodeBlock extends Module implements OnnxExportable {
  constructor(readonly spec: SpikingSpec) {
    super();
  }
  /** The spiking layers on time-major spikes `[T, B, ...]` (neuron state fresh each call). */
  abstract spiking(s: tf.Tensor): tf.Tensor;
  /** {@link spiking} as ONNX: the same layers on a time-major value `[T, N, ...]`. */
  abstract spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue;
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => decodeSpikes(this, this.spiking(encodeSpikes(this, x))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.decode(
      this.spec.decoder,
      this,
      this.spikingToOnnx(ctx, ctx.encode(this.spec.encoder, this, x)),
    );
  }
  /** The neuron layers of this block, by name. */
  neurons(): Map<string, SpikingNeuron> {
    const out = new Map<string, SpikingNeuron>();
    for (const [name, m] of this.namedModules()) if (m instanceof SpikingNeuron) out.set(name, m);
    return out;
  }
}

/** `block.spec.encoder.encode(x)`, seen by an active op recorder (counting encoder work). */
export function encodeSpikes(block: EncodeDecodeBlock, x: tf.Tensor): tf.Tensor {
  const s = block.spec.encoder.encode(x);
  activeRecorder()?.record(block, 'encoder', x, s);
  return s;
}

/** `block.spec.decoder.decode(s)`, seen by an active op recorder (counting decoder work). */
export function decodeSpikes(block: EncodeDecodeBlock, s: tf.Tensor): tf.Tensor {
  const y = block.spec.decoder.decode(s);
  activeRecorder()?.record(block, 'decoder', s, y);
  return y;
}

/** ONNX of Conv -> BatchNorm on the folded time axis, then the neuron over T. */
function convBnLifOnnx(ctx: OnnxLowering, conv: Module, bn: Module, lif: Module, s: OnnxValue): OnnxValue {
  const T = s.shape[0] as number;
  return ctx.emit(lif, ctx.unfold(ctx.emit(bn, ctx.emit(conv, ctx.fold(s))), T));
}

/** ONNX of a per-sample layer on a time-major value. */
export function perStepOnnx(ctx: OnnxLowering, m: Module, s: OnnxValue): OnnxValue {
  return ctx.unfold(ctx.emit(m, ctx.fold(s)), s.shape[0] as number);
}

/** Applies a per-sample layer to `[T, B, ...]`. */
export function perStep(m: Module, s: tf.Tensor): tf.Tensor {
  return unfoldTime(m.forward(foldTime(s)), s.shape[0]!);
}

/** HAS-8 SNN conv block: encode -> Conv(3x3) -> BatchNorm -> LIF -> AvgPool(2, 2) -> decode. */
export class SnnConvBlock extends EncodeDecodeBlock {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly lif: SpikingNeuron;
  readonly pool = this.addModule('pool', new AvgPool2d(2, 2));
  constructor(inC: number, outC: number, spec: SpikingSpec, ctx: InitContext) {
    super(spec);
    this.conv = this.addModule('conv', spikingLayer(new Conv2d(inC, outC, { kernel: 3, padding: 1 }, ctx)));
    this.bn = this.addModule('bn', new BatchNorm(outC, SNN_BN_MOMENTUM));
    this.lif = this.addModule('lif', spec.neuron());
  }
  spiking(s: tf.Tensor): tf.Tensor {
    const T = s.shape[0]!;
    const u = unfoldTime(this.bn.forward(this.conv.forward(foldTime(s))), T);
    return perStep(this.pool, this.lif.forward(u));
  }
  spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    return perStepOnnx(ctx, this.pool, convBnLifOnnx(ctx, this.conv, this.bn, this.lif, s));
  }
}

/** HAS-8 SNN head: encode -> (Linear -> LIF) x 3 (in -> 1024 -> 512 -> out) -> decode. */
export class SnnLinearStack extends EncodeDecodeBlock {
  readonly fc: Linear[];
  readonly lifs: SpikingNeuron[];
  constructor(
    inF: number,
    outF: number,
    spec: SpikingSpec,
    ctx: InitContext,
    hidden: [number, number] = [1024, 512],
  ) {
    super(spec);
    const widths = [inF, hidden[0], hidden[1], outF];
    this.fc = [];
    this.lifs = [];
    for (let i = 0; i < 3; i++) {
      this.fc.push(this.addModule(`fc${i + 1}`, spikingLayer(new Linear(widths[i]!, widths[i + 1]!, ctx))));
      this.lifs.push(this.addModule(`lif${i + 1}`, spec.neuron()));
    }
  }
  spiking(s: tf.Tensor): tf.Tensor {
    let y = s;
    for (let i = 0; i < 3; i++) y = this.lifs[i]!.forward(this.fc[i]!.forward(y));
    return y;
  }
  spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    let y = s;
    this.fc.forEach((fc, i) => (y = ctx.emit(this.lifs[i]!, ctx.emit(fc, y))));
    return y;
  }
}

/**
 * Head of the SNN-only twin (not in the authors' code, which only uses the spiking head beside an
 * ANN branch): encode -> (Linear -> BatchNorm -> LIF) x 2 -> decode -> Linear readout.
 *
 * Why not the authors' {@link SnnLinearStack} alone: its decoded output spikes bound the logits to
 * [0, 1] (softmax loss cannot fall below ~1.46 for 10 classes), and without normalisation the
 * Linear layers' membrane inputs stay under threshold, so the whole head is silent and its
 * weights get no gradient (loss ln 10 forever). The fix is the standard one of SpikingJelly and
 * snnTorch examples: BatchNorm before each spiking layer (the conv blocks already have it) and a
 * non-spiking readout of the decoded spike code of the last hidden layer. Parameter paths match
 * the spiking head (`fc1..fc3`, `lif1..lif2`) plus `bn1`, `bn2`.
 */
export class SnnReadoutHead extends EncodeDecodeBlock implements OnnxExportable {
  readonly fc: Linear[];
  readonly bns: BatchNorm[];
  readonly lifs: SpikingNeuron[];
  readonly readout: Linear;
  constructor(
    inF: number,
    outF: number,
    spec: SpikingSpec,
    ctx: InitContext,
    hidden: [number, number] = [1024, 512],
  ) {
    super(spec);
    const widths = [inF, hidden[0], hidden[1]];
    this.fc = [];
    this.bns = [];
    this.lifs = [];
    for (let i = 0; i < 2; i++) {
      this.fc.push(this.addModule(`fc${i + 1}`, spikingLayer(new Linear(widths[i]!, widths[i + 1]!, ctx))));
      this.bns.push(this.addModule(`bn${i + 1}`, new BatchNorm(widths[i + 1]!, SNN_BN_MOMENTUM)));
      this.lifs.push(this.addModule(`lif${i + 1}`, spec.neuron()));
    }
    // Reads decoded values in [0, 1], not spikes: counted as MACs.
    this.readout = this.addModule('fc3', new Linear(hidden[1], outF, ctx));
  }
  spiking(s: tf.Tensor): tf.Tensor {
    let y = s;
    for (let i = 0; i < 2; i++) y = this.lifs[i]!.forward(this.bns[i]!.forward(this.fc[i]!.forward(y)));
    return y;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.readout.forward(super.forward(x)));
  }
  /** Logits from time-major input spikes `[T, B, in]` (no encoding): the end-to-end twin's head. */
  readoutSpikes(s: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.readout.forward(decodeSpikes(this, this.spiking(s))));
  }
  spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    // BatchNormalization wants channels at dim 1: fold [T, B, F] to [T*B, F] around it.
    const T = s.shape[0] as number;
    let y = s;
    this.fc.forEach(
      (fc, i) =>
        (y = ctx.emit(this.lifs[i]!, ctx.unfold(ctx.emit(this.bns[i]!, ctx.fold(ctx.emit(fc, y))), T))),
    );
    return y;
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.emit(this.readout, super.toOnnx(ctx, x));
  }
  /** {@link readoutSpikes} as ONNX. */
  readoutSpikesToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    return ctx.emit(this.readout, ctx.decode(this.spec.decoder, this, this.spikingToOnnx(ctx, s)));
  }
}

/** ResNet SNN stem: encode -> Conv 7x7/2 -> BatchNorm -> LIF -> AvgPool 3/2 (pad 1) -> decode. */
export class SnnInitConv extends EncodeDecodeBlock {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly lif: SpikingNeuron;
  readonly pool = this.addModule('pool', new AvgPool2d(3, 2, 1));
  constructor(inC: number, outC: number, spec: SpikingSpec, ctx: InitContext) {
    super(spec);
    this.conv = this.addModule(
      'conv',
      spikingLayer(new Conv2d(inC, outC, { kernel: 7, stride: 2, padding: 3 }, ctx)),
    );
    this.bn = this.addModule('bn', new BatchNorm(outC, SNN_BN_MOMENTUM));
    this.lif = this.addModule('lif', spec.neuron());
  }
  spiking(s: tf.Tensor): tf.Tensor {
    const u = unfoldTime(this.bn.forward(this.conv.forward(foldTime(s))), s.shape[0]!);
    return perStep(this.pool, this.lif.forward(u));
  }
  spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    return perStepOnnx(ctx, this.pool, convBnLifOnnx(ctx, this.conv, this.bn, this.lif, s));
  }
}

/**
 * SEW residual block (Fang et al. 2021) on spikes: conv-BN-LIF for every conv of the plan, a
 * spiking downsample (1x1 conv-BN-LIF) when the shape changes, and ADD of the two spike trains.
 */
export class SnnResidualBlock extends EncodeDecodeBlock {
  readonly convs: Conv2d[];
  readonly bns: BatchNorm[];
  readonly lifs: SpikingNeuron[];
  readonly downConv: Conv2d | null = null;
  readonly downBn: BatchNorm | null = null;
  readonly downLif: SpikingNeuron | null = null;
  constructor(plan: ResidualPlan, spec: SpikingSpec, ctx: InitContext) {
    super(spec);
    this.convs = plan.convs.map((c, i) =>
      this.addModule(
        `conv${i + 1}`,
        spikingLayer(new Conv2d(c.inC, c.outC, { kernel: c.kernel, stride: c.stride }, ctx)),
      ),
    );
    this.bns = plan.convs.map((c, i) => this.addModule(`bn${i + 1}`, new BatchNorm(c.outC, SNN_BN_MOMENTUM)));
    this.lifs = plan.convs.map((_, i) => this.addModule(`lif${i + 1}`, spec.neuron()));
    if (plan.downsample) {
      const d = plan.downsample;
      this.downConv = this.addModule(
        'down_conv',
        spikingLayer(new Conv2d(d.inC, d.outC, { kernel: 1, stride: d.stride, padding: 0 }, ctx)),
      );
      this.downBn = this.addModule('down_bn', new BatchNorm(d.outC, SNN_BN_MOMENTUM));
      this.downLif = this.addModule('down_lif', spec.neuron());
    }
  }
  spiking(s: tf.Tensor): tf.Tensor {
    const T = s.shape[0]!;
    let y = s;
    this.convs.forEach((c, i) => {
      y = this.lifs[i]!.forward(unfoldTime(this.bns[i]!.forward(c.forward(foldTime(y))), T));
    });
    const shortcut = this.downConv
      ? this.downLif!.forward(unfoldTime(this.downBn!.forward(this.downConv.forward(foldTime(s))), T))
      : s;
    return tf.add(y, shortcut);
  }
  spikingToOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    let y = s;
    this.convs.forEach((c, i) => (y = convBnLifOnnx(ctx, c, this.bns[i]!, this.lifs[i]!, y)));
    const sc = this.downConv ? convBnLifOnnx(ctx, this.downConv, this.downBn!, this.downLif!, s) : s;
    return { name: ctx.g.op('Add', [y.name, sc.name], {}, `${ctx.pathOf(this)}/sew_add`), shape: y.shape };
  }
}
