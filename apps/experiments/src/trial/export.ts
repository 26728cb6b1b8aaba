import { deserializeModule, initRuntime } from '@hybridspike/core';
import type { HybridModel } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import { checkOnnx, type OnnxCheckReport } from '@hybridspike/onnx/check';
import { parityReference } from '@hybridspike/neurons';
import { buildData, buildModel, firstImages } from '../build.js';
import type { Trial } from '../sweep.js';
import type { TrialRecord } from './record.js';

/** Exports `model` to ONNX and checks it in onnxruntime on the first `samples` test images. */
export async function exportChecked(
  model: HybridModel,
  test: Dataset,
  samples: number,
): Promise<{ bytes: Uint8Array; report: OnnxCheckReport }> {
  const inputShape: [number, number, number] = [test.channels, test.height, test.width];
  const x = firstImages(test, samples);
  try {
    const debug = exportOnnxDetailed(model, { inputShape, debugSpikes: true });
    // The tfjs side (eval mode): logits, and every neuron layer's membrane by path, for the spikes.
    const report = await checkOnnx(debug.bytes, parityReference(model), x, {
      spikeOutputs: debug.spikeOutputs,
    });
    return { bytes: exportOnnxDetailed(model, { inputShape }).bytes, report };
  } finally {
    x.dispose();
  }
}

/**
 * Exports `model`, checks it in onnxruntime on `samples` test images, calls `beforeLog` (e.g. to
 * write the file where the user asked: a failure there records nothing), then records the
 * export in the run.
 */
export async function exportAndCheck(
  record: TrialRecord,
  model: HybridModel,
  test: Dataset,
  samples: number,
  beforeLog?: (bytes: Uint8Array) => void | Promise<void>,
): Promise<{ bytes: Uint8Array; report: OnnxCheckReport }> {
  const { bytes, report } = await exportChecked(model, test, samples);
  await beforeLog?.(bytes);
  await record.exported(bytes, report);
  return { bytes, report };
}

/** Rebuilds a finished trial's model from its logged weights (for export of the best model). */
export async function loadTrialModel(
  record: TrialRecord,
  trial: Trial,
): Promise<{ model: HybridModel; test: Dataset }> {
  await initRuntime();
  const data = buildData(trial.config);
  const model = buildModel(trial.config, data.train);
  deserializeModule(model, await record.weights());
  model.eval();
  return { model, test: data.test };
}
