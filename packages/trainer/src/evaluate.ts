import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@hybridspike/core';
import { batches, type BatchOptions, type Dataset } from '@hybridspike/data';
import { batchMetrics } from './metrics.js';

/** What {@link evaluate} returns: mean loss and accuracies over the dataset. */
export interface EvaluateResult {
  loss: number;
  accuracy: number;
  top5: number;
  count: number;
}

/** Loss, top-1 and top-5 accuracy of `model` on `dataset`, in eval mode (training mode is restored). */
export function evaluate(
  model: Module,
  dataset: Dataset,
  options: {
    batchSize?: number;
    normalize?: BatchOptions['normalize'];
    /** Called after each batch's forward (e.g. to read the neurons' spike counts of that batch). */
    afterBatch?: () => void;
  } = {},
): EvaluateResult {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let top1 = 0;
  let top5 = 0;
  try {
    for (const b of batches(dataset, { batchSize: options.batchSize ?? 32, normalize: options.normalize })) {
      tf.tidy(() => {
        const m = batchMetrics(model.forward(tf.tensor(b.x, b.shape)), b.labels);
        lossSum += m.lossSum;
        top1 += m.top1;
        top5 += m.top5;
        options.afterBatch?.();
      });
    }
  } finally {
    model.train(wasTraining);
  }
  const n = dataset.count;
  return { loss: lossSum / n, accuracy: top1 / n, top5: top5 / n, count: n };
}
