import * as tf from '@tensorflow/tfjs-core';
import { countOps, type HybridModel, type OpCount } from '@hybridspike/blocks';
import { recordMembranes } from '@hybridspike/neurons';
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
  const ev = evaluate(model, data.test, { batchSize: c.train.batchSize, normalize: data.normalize });
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
    };
    return { metrics, ops, raster: rasterPoints(model, sample) };
  } finally {
    sample.dispose();
  }
}
