import * as tf from '@tensorflow/tfjs-core';
import { createEncoder, createDecoder, type SpikeDecoder, type SpikeEncoder } from '@hybridspike/encoders';
import {
  HybridSpikeError,
  Module,
  type OnnxExportable,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import { AvgPool2d, Conv2d, initContext, Linear, MultiStep, Sequential } from '@hybridspike/blocks';
import { IF, LIF } from '@hybridspike/neurons';
import { isArray, isGraph, predecessors, topologicalOrder, type NirGraph, type NirNode } from './graph.js';
import { readNirBytes } from './hdf5.js';
import { chwToHwc, NirFlatten, NirIntegrator, NirScale, NirThreshold } from './nodes.js';

/** The NIR primitives {@link importNir} runs. */
export const SUPPORTED_NODES = [
  'Input',
  'Output',
  'Affine',
  'Linear',
  'Scale',
  'Conv2d',
  'AvgPool2d',
  'SumPool2d',
  'Flatten',
  'IF',
  'LIF',
  'LI',
  'I',
  'Threshold',
  'NIRGraph',
];

/** A node's parameter as numbers. */
function numbers(node: NirNode, key: string, name: string): number[] {
  const v = node.params[key];
  if (isArray(v)) return Array.from(v.data);
  if (Array.isArray(v)) return v;
  if (typeof v === 'number') return [v];
  throw new Error(`node '${name}' (${node.type}) has no numeric '${key}'`);
}

/** One value standing for a per-neuron parameter, which our neurons hold as a scalar. */
function uniform(node: NirNode, key: string, name: string, fallback?: number): number {
  if (node.params[key] === undefined && fallback !== undefined) return fallback;
  const v = numbers(node, key, name);
  const first = v[0] ?? 0;
  if (v.some((x) => Math.abs(x - first) > 1e-6 * Math.max(1, Math.abs(first))))
    throw new Error(
      `node '${name}' (${node.type}) has per-neuron '${key}' values that differ; hybridspike's neurons take one value per layer`,
    );
  return first;
}

/** An int pair from a NIR int or pair. */
function pair(node: NirNode, key: string, name: string, fallback: number): [number, number] {
  const v = node.params[key];
  if (v === undefined) return [fallback, fallback];
  const a = numbers(node, key, name);
  return [a[0]!, a[1] ?? a[0]!];
}

function squareOnly(name: string, what: string, [a, b]: [number, number]): number {
  if (a !== b)
    throw new Error(`node '${name}': ${what} [${a}, ${b}] is not square; our layers take square ones`);
  return a;
}

/** Module names are letters, digits and '_': a NIR node name made one. */
const moduleName = (n: string) => n.replace(/[^A-Za-z0-9_]/g, '_') || 'node';

/** Builds our module for one NIR node (null for Input / Output: identity). */
function moduleFor(name: string, node: NirNode | NirGraph, dt: number): Module | null {
  if (isGraph(node)) return new NirNetwork(node, dt);
  const p = node.params;
  const ctx = initContext(0);
  switch (node.type) {
    case 'Input':
    case 'Output':
      return null;
    case 'Affine':
    case 'Linear': {
      const w = p.weight;
      if (!isArray(w) || w.shape.length !== 2)
        throw new Error(`node '${name}' (${node.type}) needs a 2-D weight`);
      const [fout, fin] = w.shape as [number, number];
      const lin = new Linear(fin, fout, ctx, node.type === 'Affine');
      const t = new Float32Array(fin * fout);
      for (let o = 0; o < fout; o++) for (let i = 0; i < fin; i++) t[i * fout + o] = w.data[o * fin + i]!;
      lin.weight.assign(tf.tensor(t, [fin, fout]));
      if (node.type === 'Affine') lin.bias!.assign(tf.tensor(numbers(node, 'bias', name), [fout]));
      return new MultiStep(lin);
    }
    case 'Conv2d': {
      const w = p.weight;
      if (!isArray(w) || w.shape.length !== 4)
        throw new Error(`node '${name}' (Conv2d) needs a [Cout, Cin, kH, kW] weight`);
      const [co, ci, kh, kw] = w.shape as [number, number, number, number];
      const k = squareOnly(name, 'kernel', [kh, kw]);
      const stride = squareOnly(name, 'stride', pair(node, 'stride', name, 1));
      const dil = pair(node, 'dilation', name, 1);
      const groups = p.groups === undefined ? 1 : numbers(node, 'groups', name)[0]!;
      if (dil[0] !== 1 || dil[1] !== 1 || groups !== 1)
        throw new Error(
          `node '${name}' (Conv2d): dilation ${dil} and groups ${groups} are not supported (1 only)`,
        );
      const padding =
        p.padding === 'same'
          ? Math.floor(k / 2)
          : p.padding === 'valid'
            ? 0
            : squareOnly(name, 'padding', pair(node, 'padding', name, 0));
      const conv = new Conv2d(ci, co, { kernel: k, stride, padding, bias: true }, ctx);
      const hwio = new Float32Array(w.data.length);
      for (let o = 0; o < co; o++)
        for (let i = 0; i < ci; i++)
          for (let y = 0; y < k; y++)
            for (let x = 0; x < k; x++)
              hwio[((y * k + x) * ci + i) * co + o] = w.data[((o * ci + i) * k + y) * k + x]!;
      conv.weight.assign(tf.tensor(hwio, [k, k, ci, co]));
      conv.bias!.assign(
        tf.tensor(p.bias === undefined ? new Array(co).fill(0) : numbers(node, 'bias', name), [co]),
      );
      return new MultiStep(conv);
    }
    case 'AvgPool2d':
    case 'SumPool2d': {
      const k = squareOnly(name, 'kernel_size', pair(node, 'kernel_size', name, 1));
      const s = squareOnly(name, 'stride', pair(node, 'stride', name, k));
      const pad = squareOnly(name, 'padding', pair(node, 'padding', name, 0));
      const pool = new MultiStep(new AvgPool2d(k, s, pad));
      // A sum over the window is k*k times its mean.
      return node.type === 'SumPool2d' ? new Sequential([pool, new NirScale(k * k)]) : pool;
    }
    case 'Flatten':
      return new NirFlatten(p.input_type === undefined ? [] : numbers(node, 'input_type', name));
    case 'Scale': {
      const s = p.scale;
      if (!isArray(s)) throw new Error(`node '${name}' (Scale) needs a 'scale' array`);
      const hwc = chwToHwc(s.data, s.shape);
      return new NirScale(hwc.data, hwc.shape);
    }
    case 'Threshold':
      return new NirThreshold(uniform(node, 'threshold', name));
    case 'I':
      return new NirIntegrator(0, dt * uniform(node, 'r', name));
    case 'LI': {
      const tau = uniform(node, 'tau', name);
      return new NirIntegrator(
        dt / tau,
        (dt * uniform(node, 'r', name)) / tau,
        uniform(node, 'v_leak', name, 0),
      );
    }
    case 'IF': {
      // dv/dt = r i: one Euler step adds dt * r * x; our IF adds x.
      const neuron = new IF({
        vThreshold: uniform(node, 'v_threshold', name),
        vReset: uniform(node, 'v_reset', name, 0),
      });
      const gain = dt * uniform(node, 'r', name);
      return Math.abs(gain - 1) < 1e-9 ? neuron : new Sequential([new NirScale(gain), neuron]);
    }
    case 'LIF': {
      const tauSteps = uniform(node, 'tau', name) / dt;
      const vReset = uniform(node, 'v_reset', name, 0);
      const vLeak = uniform(node, 'v_leak', name, 0);
      if (Math.abs(vLeak - vReset) > 1e-9)
        throw new Error(
          `node '${name}' (LIF): v_leak ${vLeak} differs from v_reset ${vReset}; hybridspike's LIF rests where it resets`,
        );
      if (tauSteps < 1)
        throw new Error(
          `node '${name}' (LIF): tau / dt = ${tauSteps} < 1 step; pass the dt the file was made for (importNir({ dt }))`,
        );
      const neuron = new LIF({
        tau: tauSteps,
        vThreshold: uniform(node, 'v_threshold', name),
        vReset,
        decayInput: true,
      });
      // With decay_input the input is divided by tau, as NIR's (dt / tau) * r * x with r = 1.
      const r = uniform(node, 'r', name);
      return Math.abs(r - 1) < 1e-9 ? neuron : new Sequential([new NirScale(r), neuron]);
    }
    default:
      throw new Error(
        `node '${name}' has type '${node.type}', which hybridspike does not run (supported: ${SUPPORTED_NODES.join(', ')})`,
      );
  }
}

/**
 * A NIR graph as a module on time-major tensors `[T, B, ...]` (NHWC per step): every node is one
 * of our layers (Conv2d, Linear, AvgPool2d, IF, LIF, ...) or a small module for the rest; nodes
 * run in topological order, a node with several inputs gets their sum (fan-in), nested graphs
 * are networks of their own. It trains (our neurons' surrogates), counts ops and exports to ONNX.
 */
export class NirNetwork extends Module implements OnnxExportable {
  readonly order: string[];
  private readonly byName = new Map<string, Module | null>();
  private readonly inputsOf = new Map<string, string[]>();
  readonly input: string;
  readonly output: string;

  constructor(
    readonly graph: NirGraph,
    readonly dt: number,
  ) {
    super();
    this.order = topologicalOrder(graph);
    const ins = this.order.filter((n) => graph.nodes[n]!.type === 'Input');
    const outs = this.order.filter((n) => graph.nodes[n]!.type === 'Output');
    if (ins.length !== 1 || outs.length !== 1)
      throw new Error(
        `a graph needs exactly one Input and one Output node, this one has ${ins.length} and ${outs.length}`,
      );
    [this.input, this.output] = [ins[0]!, outs[0]!];
    const used = new Set<string>();
    for (const name of this.order) {
      const m = moduleFor(name, graph.nodes[name]!, dt);
      let key = moduleName(name);
      for (let i = 1; used.has(key); i++) key = `${moduleName(name)}_${i}`;
      used.add(key);
      this.byName.set(name, m ? this.addModule(key, m) : null);
      this.inputsOf.set(name, predecessors(graph, name));
    }
  }

  /** The module that runs NIR node `name` (null for Input / Output). */
  moduleOf(name: string): Module | null {
    return this.byName.get(name) ?? null;
  }

  /** Runs the graph on time-major input `[T, B, ...]` (NHWC per step); returns the Output's `[T, B, ...]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor>();
      for (const name of this.order) {
        const srcs = this.inputsOf.get(name)!;
        const inp = name === this.input ? x : srcs.map((s) => values.get(s)!).reduce((a, b) => tf.add(a, b));
        const m = this.byName.get(name);
        values.set(name, m ? m.forward(inp) : inp);
      }
      return values.get(this.output)!;
    });
  }

  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const values = new Map<string, OnnxValue>();
    for (const name of this.order) {
      const srcs = this.inputsOf.get(name)!.map((s) => values.get(s)!);
      const inp =
        name === this.input
          ? x
          : srcs
              .slice(1)
              .reduce((a, b) => ({ name: ctx.g.op('Add', [a.name, b.name]), shape: a.shape }), srcs[0]!);
      const m = this.byName.get(name);
      values.set(name, m ? ctx.emit(m, inp) : inp);
    }
    return values.get(this.output)!;
  }
}

/**
 * An imported network with a spike encoder before it and a decoder after: images in (NHWC),
 * logits out, like our own models (trains with `fit`, exports to ONNX).
 */
export class NirClassifier extends Module implements OnnxExportable {
  readonly network: NirNetwork;
  constructor(
    network: NirNetwork,
    readonly encoder: SpikeEncoder,
    readonly decoder: SpikeDecoder,
  ) {
    super();
    this.network = this.addModule('network', network);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decoder.decode(this.network.forward(this.encoder.encode(x))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return ctx.decode(this.decoder, this, ctx.emit(this.network, ctx.encode(this.encoder, this, x)));
  }
}

/** What {@link importNir} read. */
export interface ImportedNir {
  version: string;
  graph: NirGraph;
  /** The time step the neurons' constants were mapped with. */
  dt: number;
  network: NirNetwork;
  /** The network with its encoder and decoder (images -> logits), when the file or options name them. */
  classifier: NirClassifier | null;
}

/** Options of {@link importNir}. */
export interface ImportNirOptions {
  /** Time step of the file's neuron constants: the file's `hybridspike.dt`, else this (default 1e-4, snnTorch's). */
  dt?: number;
  /** Encoder and decoder for a classifier when the file names none (registry references). */
  encoder?: string | { name: string; [k: string]: unknown };
  decoder?: string | { name: string; [k: string]: unknown };
}

/** The stored encoder / decoder options of one of our exports, as registry references. */
function coding(
  meta: Record<string, string>,
  key: string,
): { name: string; [k: string]: unknown } | undefined {
  if (!meta[key]) return undefined;
  const { kind, weights: _weights, ...rest } = JSON.parse(meta[key]!) as { kind: string; weights?: unknown };
  return { name: kind, ...rest };
}

/**
 * Reads a `.nir` file into a module tree of our layers. Unsupported primitives are an error that
 * names the node, its type and what is supported; graphs are DAGs (fan-out, summing fan-in) with
 * nested graphs. Files written by {@link exportNir} carry their encoder, decoder and dt, and come
 * back as a classifier as well.
 */
export async function importNir(bytes: Uint8Array, options: ImportNirOptions = {}): Promise<ImportedNir> {
  const { version, graph } = await readNirBytes(bytes);
  const dt = graph.metadata['hybridspike.dt']
    ? Number(graph.metadata['hybridspike.dt'])
    : (options.dt ?? 1e-4);
  let network: NirNetwork;
  try {
    network = new NirNetwork(graph, dt);
  } catch (e) {
    throw new HybridSpikeError('BAD_OPTIONS', `cannot import the NIR graph: ${(e as Error).message}.`, {
      cause: e,
    });
  }
  const enc =
    coding(graph.metadata, 'hybridspike.encoder') ??
    (typeof options.encoder === 'string' ? { name: options.encoder } : options.encoder);
  const dec =
    coding(graph.metadata, 'hybridspike.decoder') ??
    (typeof options.decoder === 'string' ? { name: options.decoder } : options.decoder);
  const classifier = enc
    ? new NirClassifier(
        network,
        createEncoder(enc),
        createDecoder(
          dec ??
            (enc.name === 'bitplane'
              ? { name: 'bitplane', bits: enc.bits ?? 8, order: enc.order ?? 'msb' }
              : 'rate'),
        ),
      )
    : null;
  return { version, graph, dt, network, classifier };
}
