import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@hybridspike/core';
import { SpikingNeuron } from '@hybridspike/neurons';
import { Conv2d } from './layers/conv2d.js';
import { Linear } from './layers/linear.js';
import { withOpRecorder, type RecordedKind } from './layers/op-recorder.js';

/** Energy per operation at 45 nm (Horowitz 2014), as SNN papers use them. */
export const PICOJOULES_PER_MAC = 4.6;
/** Energy of one accumulate (a spike's synaptic operation) at 45 nm, picojoules. */
export const PICOJOULES_PER_AC = 0.9;

/** Which side of the model a count belongs to: from the `ann` / `snn` segment of its path. */
export type OpBranch = 'ann' | 'snn' | 'shared';

/** One counted layer's work, per inference. */
export interface LayerOps {
  path: string;
  kind: 'conv' | 'linear' | 'batchnorm' | 'encoder' | 'decoder' | 'neuron';
  /** 'snn' synaptic layers count synaptic operations (accumulates) from their input spikes. */
  domain: 'ann' | 'snn';
  branch: OpBranch;
  /** Multiply-accumulates (ANN synapses, BatchNorm scale and shift). */
  macs: number;
  /** Synaptic operations: input spikes x fan-out (one accumulate each). */
  sops: number;
  /** Other accumulates: bit-plane encode/decode (shift-and-add per step), neuron updates. */
  acs: number;
  energyPicojoules: number;
}

/** Totals of one branch. */
export interface BranchOps {
  macs: number;
  sops: number;
  acs: number;
  energyPicojoules: number;
}

/** What {@link countOps} counted for one inference: MACs, SOPs, ACs, energy, per layer and per branch. */
export interface OpCount {
  /** Per inference (divided by the batch size). */
  macs: number;
  sops: number;
  acs: number;
  energyPicojoules: number;
  layers: LayerOps[];
  /** Totals per branch (`shared`: layers outside both, such as the ResNet's Linear head). */
  branches: Record<OpBranch, BranchOps>;
  /** Firing rate of every neuron layer, by module path. */
  spikeRates: Record<string, number>;
  batchSize: number;
  /** The energy model, in words (for reports). */
  energyModel: string;
}

/** The energy model {@link countOps} applies, stated once for reports. */
export const ENERGY_MODEL =
  '45 nm (Horowitz 2014): 4.6 pJ per multiply-accumulate (ANN synapses, BatchNorm scale+shift), ' +
  '0.9 pJ per accumulate (synaptic operations = input spikes x fan-out; bit-plane encode and decode, ' +
  'one shift-and-add per element and step; one membrane update per neuron and step)';

function branchOf(path: string): OpBranch {
  const parts = path.split('.');
  if (parts.includes('snn')) return 'snn';
  if (parts.includes('ann')) return 'ann';
  return 'shared';
}

/**
 * The n for which every value is a spike count divided by n (k/n, 0 <= k <= n): 1 for binary
 * spikes, 4 for spikes through a 2x2 average pool; 0 when the input is not spikes (n > 64).
 * An input of k/n costs k accumulates (the 1/n folds into the weights).
 */
export function spikeCountScale(d: ArrayLike<number>): number {
  for (let n = 1; n <= 64; n++) {
    let ok = true;
    for (let i = 0; i < d.length && ok; i++) {
      const k = d[i]! * n;
      ok = k >= 0 && k <= n + 1e-4 && Math.abs(k - Math.round(k)) < 1e-4;
    }
    if (ok) return n;
  }
  return 0;
}

/** Per-layer counts keyed by path and kind, created on first use. */
class LayerTally {
  readonly byKey = new Map<string, LayerOps>();
  entry(path: string, kind: LayerOps['kind'], domain: 'ann' | 'snn'): LayerOps {
    const key = `${path}#${kind}`;
    const e = this.byKey.get(key) ?? {
      ...{ path, kind, domain, branch: branchOf(path) },
      ...{ macs: 0, sops: 0, acs: 0, energyPicojoules: 0 },
    };
    this.byKey.set(key, e);
    return e;
  }
}

/** Accumulates one conv or linear layer's work: SOPs for spike-count inputs, else MACs. */
function countLayer(
  e: LayerOps,
  layer: Module,
  kind: RecordedKind,
  input: tf.Tensor,
  output: tf.Tensor,
  scale: number,
) {
  if (kind === 'conv') {
    const c = layer as Conv2d;
    if (!scale) {
      e.macs += (output.size / c.outChannels) * c.outChannels * c.kernel * c.kernel * c.inChannels;
      return;
    }
    // Each output position sums the spikes in its window once per output channel.
    const ones = tf.ones([c.kernel, c.kernel, c.inChannels, 1]);
    const p = c.padding;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ];
    const hits = tf.conv2d(input as tf.Tensor4D, ones as tf.Tensor4D, c.stride, p ? pad : 'valid');
    e.sops += tf.sum(hits).dataSync()[0]! * scale * c.outChannels;
    return;
  }
  const inF = input.shape[input.rank - 1]!;
  const outF = output.shape[output.rank - 1]!;
  if (scale) e.sops += tf.sum(input).dataSync()[0]! * scale * outF;
  else e.macs += (input.size / inF) * inF * outF;
}

/** Runs `model` on `x` in eval mode with every layer's work recorded into `tally`. */
function recordForward(model: Module, x: tf.Tensor, tally: LayerTally): void {
  const paths = new Map<Module, string>();
  for (const [p, m] of model.namedModules()) paths.set(m, p);
  const wasTraining = model.training;
  model.eval();
  try {
    tf.tidy(() => {
      const record = (layer: Module, kind: RecordedKind, input: tf.Tensor, output: tf.Tensor) => {
        const path = paths.get(layer) ?? '(unregistered)';
        if (kind === 'batchnorm') {
          tally.entry(path, kind, branchOf(path) === 'snn' ? 'snn' : 'ann').macs += output.size;
          return;
        }
        if (kind === 'encoder' || kind === 'decoder') {
          // Every element of the wider side costs one shift-and-add per time step.
          tally.entry(path, kind, 'snn').acs += kind === 'encoder' ? output.size : input.size;
          return;
        }
        const spiking = (layer instanceof Conv2d || layer instanceof Linear) && layer.spikingInput;
        const e = tally.entry(path, kind, spiking ? 'snn' : 'ann');
        countLayer(e, layer, kind, input, output, spiking ? spikeCountScale(input.dataSync()) : 0);
      };
      withOpRecorder({ record }, () => model.forward(x));
    });
  } finally {
    model.train(wasTraining);
  }
}

const energy = (o: { macs: number; sops: number; acs: number }) =>
  o.macs * PICOJOULES_PER_MAC + (o.sops + o.acs) * PICOJOULES_PER_AC;

/** Sums of a set of layers, with their energy. */
function totals(layers: LayerOps[]): BranchOps {
  const o = {
    macs: sum(layers.map((l) => l.macs)),
    sops: sum(layers.map((l) => l.sops)),
    acs: sum(layers.map((l) => l.acs)),
  };
  return { ...o, energyPicojoules: energy(o) };
}

/**
 * Counts the work of one inference on a real input, in eval mode, per layer and per branch:
 * MACs of ANN layers; synaptic operations (SOPs = input spikes x fan-out, exact for padding and
 * stride) of SNN layers; BatchNorm (one MAC per element, not folded); the bit-plane encoder and
 * decoder (T accumulates per element); neuron updates (one accumulate per neuron and step). A
 * spiking layer whose input is average-pooled spikes (values k/n) counts k accumulates per input;
 * any other input is counted as MACs. Energy: {@link ENERGY_MODEL}.
 */
export function countOps(model: Module, x: tf.Tensor): OpCount {
  const batch = x.shape[0]!;
  const tally = new LayerTally();
  recordForward(model, x, tally);
  const spikeRates: Record<string, number> = {};
  for (const [p, m] of model.namedModules()) {
    if (m instanceof SpikingNeuron) {
      spikeRates[p] = m.lastFiringRate;
      tally.entry(p, 'neuron', 'snn').acs += m.lastNeuronSteps;
    }
  }
  const layers = [...tally.byKey.values()].map((l) => {
    const o = { macs: l.macs / batch, sops: l.sops / batch, acs: l.acs / batch };
    return { ...l, ...o, energyPicojoules: energy(o) };
  });
  const branches = {} as Record<OpBranch, BranchOps>;
  for (const b of ['ann', 'snn', 'shared'] as const)
    branches[b] = totals(layers.filter((l) => l.branch === b));
  const total = totals(layers);
  return { ...total, layers, branches, spikeRates, batchSize: batch, energyModel: ENERGY_MODEL };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
