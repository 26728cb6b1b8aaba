import { HybridSpikeError, Module } from '@hybridspike/core';
import {
  AvgPool2d,
  BatchNorm,
  Conv2d,
  EncodeDecodeBlock,
  Flatten,
  Fusion,
  GlobalAvgPool,
  Has8ResNet,
  Has8Vgg,
  HybridModel,
  Linear,
  MultiStep,
  Sequential,
  SnnConvBlock,
  SnnInitConv,
  SnnReadoutHead,
  SnnResidualBlock,
} from '@hybridspike/blocks';
import { bitPlaneWeights, type SpikeDecoder, type SpikeEncoder } from '@hybridspike/encoders';
import { IF, PLIF, SpikingNeuron } from '@hybridspike/neurons';
import { filled, nirArray, type NirGraph, type NirNode } from './graph.js';
import { writeNirBytes } from './hdf5.js';
import { neuronToNir } from './mapping.js';

/** A value while lowering: the node(s) it comes from (several: summed) and its per-step shape (channels first). */
export interface NirValue {
  sources: string[];
  shape: number[];
}

/** A lowering of one module type: adds its nodes, returns its output. */
export type NirLoweringFn<M extends Module = Module> = (b: NirBuilder, m: M, x: NirValue) => NirValue;

/** A class of modules, abstract ones included. */
type ModuleClass = abstract new (...args: never[]) => Module;

const lowerings: [ModuleClass, NirLoweringFn<never>][] = [];

/**
 * Registers how modules of `type` lower to NIR (checked before the built-in ones), so a plugin's
 * layers export like ours: the exporter only walks the tree.
 */
export function registerNirLowering<M extends Module>(
  type: new (...args: never[]) => M,
  fn: NirLoweringFn<M>,
): void {
  lowerings.unshift([type, fn as NirLoweringFn<never>]);
}

/** Collects NIR nodes and edges while a model lowers itself. */
export class NirBuilder {
  readonly nodes: Record<string, NirNode> = {};
  readonly edges: [string, string][] = [];
  private readonly paths = new Map<Module, string>();
  constructor(
    root: Module,
    /** The time step the neurons' constants are mapped for. */
    readonly dt: number,
  ) {
    for (const [p, m] of root.namedModules()) this.paths.set(m, p);
  }

  /** The dotted path of a module in the exported model (NIR node names). */
  pathOf(m: Module): string {
    return this.paths.get(m) ?? m.typeName;
  }

  /** Adds node `name` fed by `x` (every source, summed); returns its output of `shape`. */
  add(name: string, node: NirNode, x: NirValue | null, shape: number[]): NirValue {
    let n = name || 'node';
    for (let i = 1; this.nodes[n]; i++) n = `${name}_${i}`;
    this.nodes[n] = node;
    for (const s of x?.sources ?? []) this.edges.push([s, n]);
    return { sources: [n], shape };
  }

  /** Lowers `m` (a registered lowering, else a built-in one), or fails naming it. */
  emit(m: Module, x: NirValue): NirValue {
    for (const [type, fn] of lowerings) if (m instanceof type) return (fn as NirLoweringFn)(this, m, x);
    return this.notExportable(m, `no NIR lowering for ${m.typeName}; register one with registerNirLowering`);
  }

  /** Fails naming the module's path, its type and why it cannot be exported. */
  notExportable(m: Module, why: string): never {
    throw new HybridSpikeError(
      'NOT_EXPORTABLE',
      `cannot export '${this.pathOf(m) || '(model)'}' (${m.typeName}) to NIR: ${why}.`,
    );
  }

  /**
   * Folds an eval-mode BatchNorm `y = x * scale + shift` (per channel) into the Conv2d or Affine
   * node that produced `x`, which must feed nothing else yet.
   */
  fold(m: Module, x: NirValue, scale: Float32Array, shift: Float32Array): NirValue {
    const src = x.sources.length === 1 ? x.sources[0]! : null;
    const node = src ? this.nodes[src] : undefined;
    if (!node || !['Conv2d', 'Affine', 'Linear'].includes(node.type) || this.edges.some(([a]) => a === src))
      return this.notExportable(m, 'BatchNorm must follow a Conv2d or Linear directly to be folded');
    const w = node.params.weight as { data: Float32Array; shape: number[] };
    const co = w.shape[0]!;
    const per = w.data.length / co;
    const data = w.data.slice();
    for (let o = 0; o < co; o++)
      for (let i = 0; i < per; i++) data[o * per + i] = data[o * per + i]! * scale[o]!;
    const oldBias = node.params.bias as { data: Float32Array } | undefined;
    const bias = new Float32Array(co);
    for (let o = 0; o < co; o++) bias[o] = (oldBias?.data[o] ?? 0) * scale[o]! + shift[o]!;
    node.params.weight = nirArray(data, w.shape);
    node.params.bias = nirArray(bias, [co]);
    if (node.type === 'Linear') node.type = 'Affine';
    return x;
  }
}

/** tfjs's `[kh, kw, ci, co]` filter as NIR's (PyTorch's) `[co, ci, kh, kw]`. */
function oihw(w: Float32Array, k: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++)
          out[((o * ci + i) * k + y) * k + x] = w[((y * k + x) * ci + i) * co + o]!;
  return out;
}

const pooled = (s: number, k: number, stride: number, p: number) => Math.floor((s + 2 * p - k) / stride) + 1;

function lowerConv(b: NirBuilder, m: Conv2d, x: NirValue): NirValue {
  if (x.shape.length !== 3) return b.notExportable(m, `a Conv2d needs [C, H, W] input, got [${x.shape}]`);
  const [, H, W] = x.shape as [number, number, number];
  const { kernel: k, stride: s, padding: p, inChannels: ci, outChannels: co } = m;
  const node: NirNode = {
    type: 'Conv2d',
    params: {
      input_shape: [H, W],
      weight: nirArray(oihw(m.weight.dataSync() as Float32Array, k, ci, co), [co, ci, k, k]),
      stride: [s, s],
      padding: [p, p],
      dilation: [1, 1],
      groups: 1,
      bias: m.bias ? nirArray(Float32Array.from(m.bias.dataSync()), [co]) : filled([co], 0),
    },
  };
  return b.add(b.pathOf(m), node, x, [co, pooled(H, k, s, p), pooled(W, k, s, p)]);
}

function lowerLinear(b: NirBuilder, m: Linear, x: NirValue): NirValue {
  if (x.shape.length !== 1)
    return b.notExportable(m, `a Linear needs flat input, got [${x.shape}] (add a Flatten)`);
  const [fin, fout] = [m.inFeatures, m.outFeatures];
  const w = m.weight.dataSync() as Float32Array;
  const t = new Float32Array(w.length);
  for (let i = 0; i < fin; i++) for (let o = 0; o < fout; o++) t[o * fin + i] = w[i * fout + o]!;
  const weight = nirArray(t, [fout, fin]);
  const node: NirNode = m.bias
    ? { type: 'Affine', params: { weight, bias: nirArray(Float32Array.from(m.bias.dataSync()), [fout]) } }
    : { type: 'Linear', params: { weight } };
  return b.add(b.pathOf(m), node, x, [fout]);
}

function lowerBatchNorm(b: NirBuilder, m: BatchNorm, x: NirValue): NirValue {
  const g = m.weight.dataSync();
  const beta = m.bias.dataSync();
  const mean = m.runningMean.dataSync();
  const v = m.runningVar.dataSync();
  const scale = Float32Array.from(g, (gi, i) => gi / Math.sqrt(v[i]! + m.eps));
  const shift = Float32Array.from(beta, (bi, i) => bi - mean[i]! * scale[i]!);
  return b.fold(m, x, scale, shift);
}

function lowerAvgPool(b: NirBuilder, m: AvgPool2d, x: NirValue): NirValue {
  const [C, H, W] = x.shape as [number, number, number];
  const { kernel: k, stride: s, padding: p } = m;
  const node: NirNode = {
    type: 'AvgPool2d',
    params: { kernel_size: [k, k], stride: [s, s], padding: [p, p] },
  };
  return b.add(b.pathOf(m), node, x, [C, pooled(H, k, s, p), pooled(W, k, s, p)]);
}

function lowerGlobalPool(b: NirBuilder, m: GlobalAvgPool, x: NirValue): NirValue {
  const [C, H, W] = x.shape as [number, number, number];
  const path = b.pathOf(m);
  const pool: NirNode = {
    type: 'AvgPool2d',
    params: { kernel_size: [H, W], stride: [H, W], padding: [0, 0] },
  };
  const y = b.add(path, pool, x, [C, 1, 1]);
  return b.add(
    `${path}.flatten`,
    { type: 'Flatten', params: { start_dim: 0, end_dim: -1, input_type: [C, 1, 1] } },
    y,
    [C],
  );
}

function lowerFlatten(b: NirBuilder, m: Flatten, x: NirValue): NirValue {
  const n = x.shape.reduce((a, c) => a * c, 1);
  return b.add(
    b.pathOf(m),
    { type: 'Flatten', params: { start_dim: 0, end_dim: -1, input_type: x.shape } },
    x,
    [n],
  );
}

function lowerNeuron(b: NirBuilder, m: SpikingNeuron, x: NirValue): NirValue {
  const o = m.options;
  const kind = m instanceof IF ? 'if' : 'lif';
  const tau = m instanceof PLIF ? m.tau : o.tau;
  const node = neuronToNir(
    { kind, tau, vThreshold: o.vThreshold, vReset: o.vReset, decayInput: o.decayInput },
    x.shape,
    b.dt,
    b.pathOf(m),
  );
  return b.add(b.pathOf(m), node, x, x.shape);
}

/** conv -> BatchNorm (folded) -> neuron, the spiking unit of every SNN block. */
function convBnLif(b: NirBuilder, conv: Conv2d, bn: BatchNorm, lif: SpikingNeuron, x: NirValue): NirValue {
  return b.emit(lif, b.emit(bn, b.emit(conv, x)));
}

function lowerSpikingBlock(b: NirBuilder, m: EncodeDecodeBlock, x: NirValue): NirValue {
  if (m instanceof SnnConvBlock || m instanceof SnnInitConv)
    return b.emit(m.pool, convBnLif(b, m.conv as Conv2d, m.bn, m.lif, x));
  if (m instanceof SnnResidualBlock) {
    let y = x;
    m.convs.forEach((c, i) => (y = convBnLif(b, c, m.bns[i]!, m.lifs[i]!, y)));
    const sc = m.downConv ? convBnLif(b, m.downConv, m.downBn!, m.downLif!, x) : x;
    // SEW ADD of the two spike trains: NIR sums the edges into the next node.
    return { sources: [...y.sources, ...sc.sources], shape: y.shape };
  }
  if (m instanceof SnnReadoutHead) {
    let y = x;
    m.fc.forEach((fc, i) => (y = b.emit(m.lifs[i]!, b.emit(m.bns[i]!, b.emit(fc, y)))));
    // The readout reads the decoded code; decoding is a weighted sum over time with weights
    // that sum to 1, so it commutes with an affine map: the readout runs per step here.
    return b.emit(m.readout, y);
  }
  return b.notExportable(m, 'an encode-decode block without a NIR lowering');
}

/** The ANN parts of a model, named, for the error that refuses them. */
function annParts(model: Module): string[] {
  return [...model.namedModules()].filter(([, m]) => m instanceof Fusion && m.ann).map(([p]) => `${p}.ann`);
}

function lowerModel(b: NirBuilder, m: HybridModel, x: NirValue): NirValue {
  if (!m.endToEnd) {
    const ann = annParts(m);
    return b.notExportable(
      m,
      m.branch === 'snn'
        ? "the layerwise SNN twin encodes and decodes in every block, which NIR cannot describe; export the end-to-end twin (snnTwin: 'end-to-end', the default)"
        : `NIR describes spiking networks, and this ${m.branch} model has ANN parts (${ann.join(', ')}); export its SNN-only twin (branch: 'snn')`,
    );
  }
  const blocks =
    m instanceof Has8Vgg
      ? m.blocks.layers.map((f) => (f as Fusion).snn as EncodeDecodeBlock)
      : m instanceof Has8ResNet
        ? [m.stem, ...m.stages.layers].map((f) => (f as Fusion).snn as EncodeDecodeBlock)
        : [];
  if (!blocks.length) return b.notExportable(m, 'an unknown zoo model');
  let y = x;
  for (const blk of blocks) y = b.emit(blk, y);
  y = b.emit((m as Has8Vgg | Has8ResNet).pool, y);
  return m instanceof Has8Vgg ? b.emit((m.head as Fusion).snn!, y) : b.emit((m as Has8ResNet).fc, y);
}

lowerings.push(
  [HybridModel, lowerModel as NirLoweringFn<never>],
  [EncodeDecodeBlock, lowerSpikingBlock as NirLoweringFn<never>],
  [
    Sequential,
    ((b: NirBuilder, m: Sequential, x: NirValue) =>
      m.layers.reduce((v, l) => b.emit(l, v), x)) as NirLoweringFn<never>,
  ],
  [MultiStep, ((b: NirBuilder, m: MultiStep, x: NirValue) => b.emit(m.inner, x)) as NirLoweringFn<never>],
  [Conv2d, lowerConv as NirLoweringFn<never>],
  [Linear, lowerLinear as NirLoweringFn<never>],
  [BatchNorm, lowerBatchNorm as NirLoweringFn<never>],
  [AvgPool2d, lowerAvgPool as NirLoweringFn<never>],
  [GlobalAvgPool, lowerGlobalPool as NirLoweringFn<never>],
  [Flatten, lowerFlatten as NirLoweringFn<never>],
  [SpikingNeuron, lowerNeuron as NirLoweringFn<never>],
);

/** Options of {@link exportNir}. */
export interface ExportNirOptions {
  /** Per-step input shape, channels first: `[C, H, W]` (images) or `[F]`. */
  inputShape: number[];
  /** The time step the neurons' constants are mapped for (default 1e-4, snnTorch's convention). */
  dt?: number;
  /** Extra graph metadata. */
  metadata?: Record<string, string>;
}

/** What a reader must do around the graph of a model with an encoder and a decoder. */
function codingMetadata(model: Module): Record<string, string> {
  if (!(model instanceof HybridModel)) return {};
  const spec = model.spec;
  const enc = spec.encoder as SpikeEncoder & { options?: Record<string, unknown> };
  const dec = spec.decoder as SpikeDecoder & { options?: { bits: number; order: 'msb' | 'lsb' } };
  const T = enc.steps;
  const weights =
    dec.kind === 'bitplane' && dec.options
      ? bitPlaneWeights(dec.options.bits, dec.options.order).map((w) => w / (2 ** dec.options!.bits - 1))
      : Array.from({ length: T }, () => 1 / T);
  return {
    'hybridspike.time_steps': String(T),
    'hybridspike.encoder': JSON.stringify({ kind: enc.kind, ...enc.options }),
    'hybridspike.decoder': JSON.stringify({ kind: dec.kind, ...dec.options, weights }),
    'hybridspike.howto':
      `Before: encode each image with the '${enc.kind}' encoder (options in hybridspike.encoder) into ${T} spike planes and feed plane t at time step t (the Input is one plane, channels first). ` +
      `After: logits = sum over t of weights[t] * Output[t] (hybridspike.decoder; the weights sum to 1).`,
  };
}

/**
 * The bytes of a `.nir` file for a spiking model: the SNN-only twins of has8Vgg and has8ResNet
 * (end-to-end), or any tree of Conv2d / Linear / pooling / Flatten / IF / LIF / PLIF layers (in
 * `Sequential` / `MultiStep`, or types registered with {@link registerNirLowering}). Eval-mode
 * BatchNorm is folded into the preceding Conv2d or Affine; a model with ANN parts is refused
 * naming them. The bit-plane encoder and the decoder have no NIR primitive: the graph's Input
 * takes one spike plane per time step, and the metadata says what a reader does before and after.
 */
export async function exportNir(model: Module, options: ExportNirOptions): Promise<Uint8Array> {
  return writeNirBytes(nirGraphOf(model, options));
}

/** The NIR graph {@link exportNir} writes. */
export function nirGraphOf(model: Module, options: ExportNirOptions): NirGraph {
  const dt = options.dt ?? 1e-4;
  if (!(dt > 0)) throw new HybridSpikeError('BAD_OPTIONS', `dt must be positive, got ${dt}.`);
  const wasTraining = model.training;
  model.eval();
  try {
    const b = new NirBuilder(model, dt);
    const shape = options.inputShape;
    const input = b.add('input', { type: 'Input', params: { shape, input_type: shape } }, null, shape);
    const out = b.emit(model, input);
    b.add('output', { type: 'Output', params: { shape: out.shape, output_type: out.shape } }, out, out.shape);
    const config = model instanceof HybridModel ? model.config : undefined;
    return {
      type: 'NIRGraph',
      nodes: b.nodes,
      edges: b.edges,
      metadata: {
        'hybridspike.producer': 'hybridspike',
        'hybridspike.dt': String(dt),
        'hybridspike.batchnorm': 'folded into the preceding Conv2d / Affine (eval-mode running statistics)',
        'hybridspike.neurons':
          'discrete steps of dt: LIF tau = tau_steps * dt, r = 1 (decay_input), v_leak = v_reset; IF r = 1 / dt; hard reset; ours fire at h >= v_threshold',
        ...(config ? { 'hybridspike.model': JSON.stringify(config) } : {}),
        ...codingMetadata(model),
        ...options.metadata,
      },
    };
  } finally {
    model.train(wasTraining);
  }
}
