import {
  AnnConvBlock,
  AnnInitConv,
  AnnLinearStack,
  AnnResidualBlock,
  AvgPool2d,
  BatchNorm,
  Conv2d,
  EncodeDecodeBlock,
  Flatten,
  Fusion,
  GlobalAvgPool,
  Has8ResNet,
  Has8Vgg,
  type HybridModel,
  LeakyReLU,
  Linear,
  MaxPool2d,
  MultiStep,
  ReLU,
  Sequential,
  SnnConvBlock,
  SnnInitConv,
  SnnLinearStack,
  SnnReadoutHead,
  SnnResidualBlock,
} from '@hybridspike/blocks';
import type { Module } from '@hybridspike/core';
import { SpikingNeuron } from '@hybridspike/neurons';
import {
  foldValue,
  notExportable,
  pathOf,
  unfoldValue,
  type EmitContext,
  type Value,
} from './emit-context.js';
import { emitDecoder, emitEncoder, emitNeuron } from './emit-spiking.js';

const data = (t: { dataSync(): unknown }) => t.dataSync() as Float32Array;

/** tfjs `[kh, kw, Cin, Cout]` -> ONNX `[Cout, Cin, kh, kw]`. */
function convWeightNCHW(w: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++)
          out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

function spatial(v: Value): [number, number] {
  return [v.shape[v.shape.length - 2] as number, v.shape[v.shape.length - 1] as number];
}

function emitConv(ctx: EmitContext, m: Conv2d, x: Value): Value {
  const p = pathOf(ctx, m);
  const k = m.kernel;
  const w = ctx.g.floatInit(
    `${p}.weight`,
    [m.outChannels, m.inChannels, k, k],
    convWeightNCHW(data(m.weight), k, k, m.inChannels, m.outChannels),
  );
  const inputs = [x.name, w];
  if (m.bias) inputs.push(ctx.g.floatInit(`${p}.bias`, [m.outChannels], data(m.bias)));
  const y = ctx.g.op(
    'Conv',
    inputs,
    {
      kernel_shape: [k, k],
      strides: [m.stride, m.stride],
      pads: [m.padding, m.padding, m.padding, m.padding],
    },
    p,
  );
  const [h, wd] = spatial(x);
  return { name: y, shape: [x.shape[0]!, m.outChannels, m.outSize(h), m.outSize(wd)] };
}

function emitBatchNorm(ctx: EmitContext, m: BatchNorm, x: Value): Value {
  const p = pathOf(ctx, m);
  const g = ctx.g;
  const C = m.channels;
  const ins = [
    x.name,
    g.floatInit(`${p}.weight`, [C], data(m.weight)),
    g.floatInit(`${p}.bias`, [C], data(m.bias)),
    g.floatInit(`${p}.running_mean`, [C], data(m.runningMean)),
    g.floatInit(`${p}.running_var`, [C], data(m.runningVar)),
  ];
  return { name: g.op('BatchNormalization', ins, { epsilon: { float: m.eps } }, p), shape: x.shape };
}

function emitPool(ctx: EmitContext, m: AvgPool2d | MaxPool2d, x: Value): Value {
  const [h, w] = spatial(x);
  const out = (s: number) => Math.floor((s + 2 * m.padding - m.kernel) / m.stride) + 1;
  const attrs = {
    kernel_shape: [m.kernel, m.kernel],
    strides: [m.stride, m.stride],
    pads: [m.padding, m.padding, m.padding, m.padding],
  };
  const name =
    m instanceof AvgPool2d
      ? ctx.g.op('AveragePool', [x.name], { ...attrs, count_include_pad: 1 }, pathOf(ctx, m))
      : ctx.g.op('MaxPool', [x.name], attrs, pathOf(ctx, m));
  return { name, shape: [x.shape[0]!, x.shape[1]!, out(h), out(w)] };
}

function emitLinear(ctx: EmitContext, m: Linear, x: Value): Value {
  const p = pathOf(ctx, m);
  const g = ctx.g;
  const w = g.floatInit(`${p}.weight`, [m.inFeatures, m.outFeatures], data(m.weight));
  let y = g.op('MatMul', [x.name, w], {}, p);
  if (m.bias) y = g.op('Add', [y, g.floatInit(`${p}.bias`, [m.outFeatures], data(m.bias))], {}, `${p}/bias`);
  return { name: y, shape: [...x.shape.slice(0, -1), m.outFeatures] };
}

/** Per-sample layer on a time-major value. */
function perStep(ctx: EmitContext, m: Module, s: Value): Value {
  return unfoldValue(ctx, emit(ctx, m, foldValue(ctx, s)), s.shape[0] as number);
}

function emitSpikingBody(ctx: EmitContext, m: EncodeDecodeBlock, s: Value): Value {
  const T = s.shape[0] as number;
  const convBnLif = (conv: Conv2d, bn: BatchNorm, lif: SpikingNeuron, v: Value) =>
    emitNeuron(ctx, lif, unfoldValue(ctx, emit(ctx, bn, emit(ctx, conv, foldValue(ctx, v))), T));
  if (m instanceof SnnConvBlock || m instanceof SnnInitConv)
    return perStep(ctx, m.pool, convBnLif(m.conv, m.bn, m.lif, s));
  if (m instanceof SnnLinearStack) {
    let y = s;
    m.fc.forEach((fc, i) => (y = emitNeuron(ctx, m.lifs[i]!, emit(ctx, fc, y))));
    return y;
  }
  if (m instanceof SnnReadoutHead) {
    let y = s;
    // BatchNormalization wants channels at dim 1: fold [T, B, F] to [T*B, F] around it.
    const T = s.shape[0] as number;
    m.fc.forEach(
      (fc, i) =>
        (y = emitNeuron(
          ctx,
          m.lifs[i]!,
          unfoldValue(ctx, emit(ctx, m.bns[i]!, foldValue(ctx, emit(ctx, fc, y))), T),
        )),
    );
    return y;
  }
  if (m instanceof SnnResidualBlock) {
    let y = s;
    m.convs.forEach((c, i) => (y = convBnLif(c, m.bns[i]!, m.lifs[i]!, y)));
    const sc = m.downConv ? convBnLif(m.downConv, m.downBn!, m.downLif!, s) : s;
    return { name: ctx.g.op('Add', [y.name, sc.name], {}, `${pathOf(ctx, m)}/sew_add`), shape: y.shape };
  }
  return notExportable(ctx, m, 'this encode-decode block type is unknown to the exporter');
}

/** End-to-end SNN twin: encode once, every fusion block's spiking body in turn, pool per step. */
function emitSpikingChain(
  ctx: EmitContext,
  m: HybridModel,
  fusions: Module[],
  pool: Module,
  x: Value,
): Value {
  let s = emitEncoder(ctx, m.spec.encoder, m, x);
  for (const f of fusions) s = emitSpikingBody(ctx, (f as Fusion).snn as EncodeDecodeBlock, s);
  return perStep(ctx, pool, s);
}

/** Emits any supported module on an NCHW (or time-major) value. */
export function emit(ctx: EmitContext, m: Module, x: Value): Value {
  const g = ctx.g;
  if (m instanceof Conv2d) return emitConv(ctx, m, x);
  if (m instanceof BatchNorm) return emitBatchNorm(ctx, m, x);
  if (m instanceof AvgPool2d || m instanceof MaxPool2d) return emitPool(ctx, m, x);
  if (m instanceof Linear) return emitLinear(ctx, m, x);
  if (m instanceof LeakyReLU)
    return {
      name: g.op('LeakyRelu', [x.name], { alpha: { float: m.slope } }, pathOf(ctx, m)),
      shape: x.shape,
    };
  if (m instanceof ReLU) return { name: g.op('Relu', [x.name], {}, pathOf(ctx, m)), shape: x.shape };
  if (m instanceof GlobalAvgPool) {
    const p = g.op('GlobalAveragePool', [x.name], {}, pathOf(ctx, m));
    return { name: g.op('Flatten', [p], { axis: 1 }), shape: [x.shape[0]!, x.shape[1]!] };
  }
  if (m instanceof Flatten) {
    const size = (x.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return { name: g.op('Flatten', [x.name], { axis: 1 }, pathOf(ctx, m)), shape: [x.shape[0]!, size] };
  }
  if (m instanceof Sequential) return m.layers.reduce((v, l) => emit(ctx, l, v), x);
  if (m instanceof MultiStep) return perStep(ctx, m.inner, x);
  if (m instanceof SpikingNeuron) return emitNeuron(ctx, m, x);
  if (m instanceof Fusion) {
    const parts = [m.snn, m.ann].filter((b): b is Module => b !== null).map((b) => emit(ctx, b, x));
    if (parts.length === 1) return parts[0]!;
    return {
      name: g.op('Add', [parts[0]!.name, parts[1]!.name], {}, `${pathOf(ctx, m)}/fuse`),
      shape: parts[0]!.shape,
    };
  }
  if (m instanceof EncodeDecodeBlock) {
    const spikes = emitEncoder(ctx, m.spec.encoder, m, x);
    const decoded = emitDecoder(ctx, m.spec.decoder, m, emitSpikingBody(ctx, m, spikes));
    return m instanceof SnnReadoutHead ? emit(ctx, m.readout, decoded) : decoded;
  }
  if (m instanceof AnnConvBlock || m instanceof AnnInitConv)
    return emit(ctx, m.pool, emit(ctx, m.act, emit(ctx, m.bn, emit(ctx, m.conv, x))));
  if (m instanceof AnnLinearStack)
    return emit(
      ctx,
      m.act,
      emit(ctx, m.fc3, emit(ctx, m.act, emit(ctx, m.fc2, emit(ctx, m.act, emit(ctx, m.fc1, x))))),
    );
  if (m instanceof AnnResidualBlock) {
    let y = x;
    m.convs.forEach((c, i) => {
      y = emit(ctx, m.bns[i]!, emit(ctx, c, y));
      if (i < m.convs.length - 1) y = { name: g.op('Relu', [y.name]), shape: y.shape };
    });
    const sc = m.downConv ? emit(ctx, m.downBn!, emit(ctx, m.downConv, x)) : x;
    return {
      name: g.op(
        'Relu',
        [g.op('Add', [y.name, sc.name], {}, `${pathOf(ctx, m)}/add`)],
        {},
        `${pathOf(ctx, m)}/out`,
      ),
      shape: y.shape,
    };
  }
  if (m instanceof Has8Vgg) {
    if (!m.endToEnd) return emit(ctx, m.head, emit(ctx, m.pool, emit(ctx, m.blocks, x)));
    const head = m.head.snn as SnnReadoutHead;
    const s = emitSpikingChain(ctx, m, m.blocks.layers, m.pool, x);
    return emit(ctx, head.readout, emitDecoder(ctx, m.spec.decoder, head, emitSpikingBody(ctx, head, s)));
  }
  if (m instanceof Has8ResNet) {
    if (!m.endToEnd) return emit(ctx, m.fc, emit(ctx, m.pool, emit(ctx, m.stages, emit(ctx, m.stem, x))));
    const s = emitSpikingChain(ctx, m, [m.stem, ...m.stages.layers], m.pool, x);
    return emit(ctx, m.fc, emitDecoder(ctx, m.spec.decoder, m, s));
  }
  return notExportable(
    ctx,
    m,
    'no ONNX exporter for this module type; export one of the @hybridspike/blocks layers, blocks or models',
  );
}
