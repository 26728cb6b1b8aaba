import * as tf from '@tensorflow/tfjs-core';
import { countOps, type HybridModel, type OpCount } from '@hybridspike/blocks';
import type { Module } from '@hybridspike/core';
import { recordMembranes, SpikingNeuron } from '@hybridspike/neurons';
import { evaluate, type FitResult } from '@hybridspike/trainer';
import { firstImages, type TrialData } from '../build.js';
import type { TrialConfig } from '../config.js';
import type { RasterPoint } from '../plots.js';

/** What a trained model is measured to be: final metrics, op counts and a spike raster. */
export interface TrialMeasures {
  metrics: Record<string, number>;
  ops: OpCount;
  raster: { points: RasterPoint[]; steps: number };
}

/** Spikes of the first sample through every neuron layer (first 48 neurons of each); silent layers are kept. */
export function rasterPoints(model: HybridModel, x: tf.Tensor): { points: RasterPoint[]; steps: number } {
  const wasTraining = model.training;
  model.eval();
  let records: ReturnType<typeof recordMembranes>['records'];
  try {
    records = recordMembranes(model, () =>
      tf.tidy(() => void model.forward(tf.slice(x, [0], [1])).dataSync()),
    ).records;
  } finally {
    model.train(wasTraining);
  }
  const points: RasterPoint[] = [];
  let steps = 1;
  for (const [path, { h, shape, threshold }] of records) {
    const T = shape[0]!;
    steps = Math.max(steps, T);
    const per = h.length / T;
    const layer: RasterPoint[] = [];
    for (let t = 0; t < T; t++)
      for (let i = 0; i < Math.min(48, per); i++)
        if (h[t * per + i]! >= threshold) layer.push({ layer: path, t, neuron: i, spike: true });
    // A silent layer still gets its panel, labelled, with one invisible point.
    points.push(
      ...(layer.length ? layer : [{ layer: `${path} (no spikes)`, t: 0, neuron: 0, spike: false }]),
    );
  }
  return { points, steps };
}

/** Accumulates each neuron layer's spikes and neuron-steps over the batches of an evaluation. */
export class FiringRates {
  private readonly neurons: [string, SpikingNeuron][];
  private readonly sums = new Map<string, { spikes: number; steps: number }>();
  constructor(model: Module) {
    this.neurons = [...model.namedModules()].filter(
      (e): e is [string, SpikingNeuron] => e[1] instanceof SpikingNeuron,
    );
  }
  /** Reads the neurons' counts of the batch just run. */
  add(): void {
    for (const [p, n] of this.neurons) {
      const s = this.sums.get(p) ?? { spikes: 0, steps: 0 };
      s.spikes += n.lastSpikeCount;
      s.steps += n.lastNeuronSteps;
      this.sums.set(p, s);
    }
  }
  /** Mean firing rate per layer path (spikes / neuron-steps). */
  rates(): Record<string, number> {
    return Object.fromEntries([...this.sums].map(([p, s]) => [p, s.steps ? s.spikes / s.steps : 0]));
  }
}

/**
 * `rate/<layer>` per spiking layer, and the silent part: `silent_layers` (layers that never fired
 * on the test set), `silent_params` (parameters of spiking blocks none of whose layers fired) and
 * `silent_energy_pj` (those blocks' counted energy per inference: their neuron updates and the
 * synapses that still receive spikes; SOPs of synapses fed by silent layers are 0).
 */
function rateMetrics(model: Module, rates: Record<string, number>, ops: OpCount): Record<string, number> {
  const modules = model.namedModules();
  const byParent = new Map<string, number[]>();
  for (const [p, r] of Object.entries(rates)) {
    const parent = p.split('.').slice(0, -1).join('.');
    byParent.set(parent, [...(byParent.get(parent) ?? []), r]);
  }
  let silentParams = 0;
  let silentEnergy = 0;
  for (const [parent, rs] of byParent) {
    if (!rs.every((r) => r === 0)) continue;
    silentParams += modules.get(parent)?.parameterCount() ?? 0;
    for (const l of ops.layers)
      if (l.path === parent || l.path.startsWith(`${parent}.`)) silentEnergy += l.energyPicojoules;
  }
  return {
    ...Object.fromEntries(Object.entries(rates).map(([p, r]) => [`rate/${p}`, r])),
    silent_layers: Object.values(rates).filter((r) => r === 0).length,
    silent_params: silentParams,
    silent_energy_pj: silentEnergy,
  };
}

/**
 * The measure step of a trial (no tracking): the test set scored once, op and energy counts and a
 * spike raster on 8 test images, and the selection and timing figures of the fit.
 */
export function measureTrial(
  model: HybridModel,
  data: TrialData,
  c: TrialConfig,
  result: FitResult,
): TrialMeasures {
  // The test set, once; every spiking layer's mean firing rate over it on the way.
  const firing = new FiringRates(model);
  const ev = evaluate(model, data.test, {
    batchSize: c.train.batchSize,
    normalize: data.normalize,
    afterBatch: () => firing.add(),
  });
  const sample = firstImages(data.test, 8);
  try {
    const ops = countOps(model, sample);
    const metrics: Record<string, number> = {
      test_accuracy: ev.accuracy,
      test_loss: ev.loss,
      test_top5: ev.top5,
      ...(result.bestEpoch !== null
        ? { best_val_accuracy: result.bestMetric!, best_epoch: result.bestEpoch }
        : {}),
      macs: ops.macs,
      sops: ops.sops,
      acs: ops.acs,
      energy_pj: ops.energyPicojoules,
      energy_ann_pj: ops.branches.ann.energyPicojoules,
      energy_snn_pj: ops.branches.snn.energyPicojoules,
      energy_shared_pj: ops.branches.shared.energyPicojoules,
      train_seconds: result.history.reduce((a, h) => a + h.seconds, 0),
      ...rateMetrics(model, firing.rates(), ops),
    };
    return { metrics, ops, raster: rasterPoints(model, sample) };
  } finally {
    sample.dispose();
  }
}
