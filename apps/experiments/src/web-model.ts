import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import type { Tracker } from '@hybridspike/tracking';
import { loadTrialModel, TrialRecord } from './trial/index.js';
import { findBestRun } from './sweep-runner.js';
import type { LoadedSweep } from './sweep.js';

/** Test images the page offers, as `samples.json` (uint8 HWC at the model's input size). */
export interface WebSamples {
  height: number;
  width: number;
  channels: number;
  labels: number[];
  images: number[][];
}

/**
 * Writes what `apps/web` shows for a sweep's best run into `outDir`: `model.onnx` exported with
 * every neuron layer's spikes as extra outputs (the page's raster) and metadata (input shape,
 * encoder, test accuracy, energy per inference, run and configuration), and `samples.json`, the
 * first `samples` test images. `branch` picks the best configuration of one branch (the best
 * spiking one, say) instead of the best overall.
 */
export async function writeWebModel(
  tracker: Tracker,
  experimentId: string,
  loaded: LoadedSweep,
  outDir: string,
  options: { samples?: number; branch?: 'hybrid' | 'ann' | 'snn' } = {},
): Promise<{ runId: string; label: string; files: string[] }> {
  const best = await findBestRun(tracker, experimentId, loaded, options.branch);
  if (!best)
    throw new Error(
      `sweep '${loaded.sweep.name}' has no finished ${options.branch ? `${options.branch} ` : ''}trial with the metric '${loaded.sweep.best.metric}': run the sweep first${options.branch ? ', or pick another --branch' : ''}.`,
    );
  const samples = options.samples ?? 20;
  const runId = best.run.info.runId;
  const { model, test } = await loadTrialModel(TrialRecord.of(tracker, runId), best.trial);
  try {
    const m = best.run.metrics;
    const { bytes } = exportOnnxDetailed(model, {
      inputShape: [test.channels, test.height, test.width],
      debugSpikes: true,
      metadata: {
        'hybridspike.sweep': loaded.sweep.name,
        'hybridspike.run_id': runId,
        'hybridspike.configuration': best.group.label,
        'hybridspike.encoder': JSON.stringify(best.trial.config.encoder),
        ...(m.test_accuracy !== undefined ? { 'hybridspike.test_accuracy': String(m.test_accuracy) } : {}),
        ...(m.energy_pj !== undefined ? { 'hybridspike.energy_uj': String(m.energy_pj / 1e6) } : {}),
      },
    });
    const n = Math.min(samples, test.count);
    const per = test.height * test.width * test.channels;
    const web: WebSamples = {
      height: test.height,
      width: test.width,
      channels: test.channels,
      labels: Array.from(test.labels.subarray(0, n)),
      images: Array.from({ length: n }, (_, i) => Array.from(test.images.subarray(i * per, (i + 1) * per))),
    };
    mkdirSync(outDir, { recursive: true });
    const files = [join(outDir, 'model.onnx'), join(outDir, 'samples.json')];
    writeFileSync(files[0]!, bytes);
    writeFileSync(files[1]!, JSON.stringify(web));
    return { runId, label: best.group.label, files };
  } finally {
    model.dispose();
  }
}
