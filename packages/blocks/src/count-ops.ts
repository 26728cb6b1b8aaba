import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@hybridspike/core';
import type { SpikingNeuron } from '@hybridspike/neurons';
import { Conv2d } from './layers/conv2d.js';
import { withOpRecorder } from './layers/op-recorder.js';

/** Energy per operation at 45 nm (Horowitz 2014), as SNN papers use them. */
export const PICOJOULES_PER_MAC = 4.6;
export const PICOJOULES_PER_AC = 0.9;

/** One synaptic layer's count, per inference. */
export interface LayerOps {
  path: string;
  kind: 'conv' | 'linear';
  /** 'snn' layers count synaptic operations (accumulates) from their input spikes. */
  domain: 'ann' | 'snn';
  macs: number;
  sops: number;
  energyPicojoules: number;
}

export interface OpCount {
  /** Per inference (divided by the batch size). */
  macs: number;
  sops: number;
  energyPicojoules: number;
  layers: LayerOps[];
  /** Firing rate of every neuron layer, by module path. */
  spikeRates: Record<string, number>;
  batchSize: number;
}

function isBinary(d: ArrayLike<number>): boolean {
  for (let i = 0; i < d.length; i++) if (d[i] !== 0 && d[i] !== 1) return false;
  return true;
}

/**
 * Counts MACs of ANN layers and synaptic operations (SOPs = input spikes x fan-out, exact for
 * padding and stride) of SNN layers on a real input, in eval mode, and the energy at
 * {@link PICOJOULES_PER_MAC} / {@link PICOJOULES_PER_AC}. A spiking layer whose input is not
 * binary (e.g. pooled spikes) is counted as MACs. BatchNorm, pooling and neuron updates are not
 * counted (BatchNorm folds into the conv at inference).
 */
export function countOps(model: Module, x: tf.Tensor): OpCount {
  const paths = new Map<Module, string>();
  for (const [p, m] of model.namedModules()) paths.set(m, p);
  const batch = x.shape[0]!;
  const perLayer = new Map<string, LayerOps>();
  const wasTraining = model.training;
  model.eval();
  try {
    tf.tidy(() => {
      withOpRecorder(
        {
          record(layer, kind, input, output) {
            const path = paths.get(layer) ?? '(unregistered)';
            const spiking = (layer as Module & { spiking?: boolean }).spiking === true;
            const entry = perLayer.get(path) ?? { path, kind, domain: spiking ? 'snn' : 'ann', macs: 0, sops: 0, energyPicojoules: 0 };
            perLayer.set(path, entry);
            const binary = spiking && isBinary(input.dataSync());
            if (kind === 'conv') {
              const c = layer as Conv2d;
              if (binary) {
                // Each output position sums the spikes in its window once per output channel.
                const ones = tf.ones([c.kernel, c.kernel, c.inChannels, 1]);
                const p = c.padding;
                const hits = tf.conv2d(input as tf.Tensor4D, ones as tf.Tensor4D, c.stride, p ? [[0, 0], [p, p], [p, p], [0, 0]] : 'valid');
                entry.sops += tf.sum(hits).dataSync()[0]! * c.outChannels;
              } else {
                entry.macs += (output.size / c.outChannels) * c.outChannels * c.kernel * c.kernel * c.inChannels;
              }
            } else {
              const inF = input.shape[input.rank - 1]!;
              const outF = output.shape[output.rank - 1]!;
              if (binary) entry.sops += tf.sum(input).dataSync()[0]! * outF;
              else entry.macs += (input.size / inF) * inF * outF;
            }
          },
        },
        () => model.forward(x),
      );
    });
  } finally {
    model.train(wasTraining);
  }
  const layers = [...perLayer.values()].map((l) => {
    const macs = l.macs / batch;
    const sops = l.sops / batch;
    return { ...l, macs, sops, energyPicojoules: macs * PICOJOULES_PER_MAC + sops * PICOJOULES_PER_AC };
  });
  const spikeRates: Record<string, number> = {};
  for (const [p, m] of model.namedModules()) {
    if ('lastFiringRate' in m) spikeRates[p] = (m as SpikingNeuron).lastFiringRate;
  }
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  const sops = layers.reduce((a, l) => a + l.sops, 0);
  return { macs, sops, energyPicojoules: macs * PICOJOULES_PER_MAC + sops * PICOJOULES_PER_AC, layers, spikeRates, batchSize: batch };
}
