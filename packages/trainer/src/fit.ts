import * as tf from '@tensorflow/tfjs-core';
import { currentBackend, HybridSpikeError, type Module, type RandomStream } from '@hybridspike/core';
import { batches, type Batch } from '@hybridspike/data';
import { CallbackList, type Callback, type FitState } from './callbacks.js';
import { checkpoints, earlyStopping, progress, validation } from './fit-callbacks.js';
import type { EpochLog, FitOptions, FitResult } from './fit-types.js';
import { batchMetrics, crossEntropy } from './metrics.js';
import { Adam } from './optimizers.js';
import { makeSchedule } from './schedules.js';

export type { BatchLog, EpochLog, FitOptions, FitResult, RngHolder } from './fit-types.js';

function checkOptions(o: FitOptions): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new HybridSpikeError('BAD_ARGUMENT', `epochs must be a positive integer, got ${o.epochs}.`);
  if (o.resume && !o.checkpointDir)
    throw new HybridSpikeError('BAD_ARGUMENT', 'resume needs a checkpointDir to resume from.');
  if (o.restoreBest && (!o.checkpointDir || !o.validation))
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      'restoreBest needs a validation set to select by and a checkpointDir to keep the best weights in.',
    );
}

/** fit's own callbacks around the caller's: validation, checkpoints, progress, then early stopping. */
function callbackList(o: FitOptions): CallbackList {
  const user = o.callbacks === undefined ? [] : Array.isArray(o.callbacks) ? o.callbacks : [o.callbacks];
  const own: Callback[] = [
    validation(),
    ...(o.checkpointDir ? [checkpoints(o.checkpointDir)] : []),
    progress(),
  ];
  const stop = o.earlyStopping ? [earlyStopping(o.earlyStopping.patience)] : [];
  return new CallbackList([...own, ...user, ...stop]);
}

/** Where the last good checkpoint is, in words, for errors that stop training. */
function lastGood(s: FitState, epoch: number): string {
  if (!s.options.checkpointDir) return 'no checkpointDir was set, so nothing was saved';
  if (epoch === 0) return 'no checkpoint was written yet (the first epoch did not finish)';
  return `the last good checkpoint (epoch ${epoch}) is in ${s.options.checkpointDir}`;
}

/**
 * One optimiser step on `batch`; returns its loss and top-1 hits. A NaN/Inf loss, or one over
 * `divergenceFactor` times the first batch's, stops training with an error (before the step).
 */
function trainBatch(s: FitState, batch: Batch, epoch: number, b: number, first: { loss: number | null }) {
  const params = s.model.parameters();
  const vars = [...params.values()];
  const names = new Map(vars.map((v, i) => [v.name, [...params.keys()][i]!]));
  let logits: tf.Tensor | undefined;
  const x = tf.tensor(batch.x, batch.shape);
  const { value, grads } = tf.variableGrads(() => {
    const out = s.model.forward(x);
    logits = tf.keep(out);
    return crossEntropy(out, batch.labels);
  }, vars);
  const free = () => tf.dispose([x, value, logits!, ...Object.values(grads)]);
  const loss = value.dataSync()[0]!;
  first.loss ??= loss;
  const divergence = s.options.divergenceFactor ?? 1000;
  if (!Number.isFinite(loss)) {
    free();
    throw new HybridSpikeError(
      'NON_FINITE',
      `loss became ${loss} at epoch ${epoch + 1}, batch ${b + 1}; ${lastGood(s, epoch)}. Lower the learning rate or check the data.`,
    );
  }
  if (loss > divergence * Math.max(first.loss, 1e-3)) {
    free();
    throw new HybridSpikeError(
      'DIVERGED',
      `training diverged: loss ${loss.toExponential(3)} at epoch ${epoch + 1}, batch ${b + 1} is over ${divergence}x the first batch's ${first.loss.toFixed(4)}; ${lastGood(s, epoch)}. Lower the learning rate (divergenceFactor sets this check).`,
    );
  }
  const g = new Map<string, tf.Tensor>();
  for (const [vname, t] of Object.entries(grads)) g.set(names.get(vname)!, t);
  s.optimizer.step(params, g);
  const hits = batchMetrics(logits!, batch.labels).top1;
  free();
  return { loss, hits };
}

/** One epoch of optimiser steps; its record, or null when the abort signal stopped it. */
async function runEpoch(
  s: FitState,
  list: CallbackList,
  epoch: number,
  first: { loss: number | null },
): Promise<EpochLog | null> {
  const { seed = 0, augment, normalize, batchSize, train, signal } = s.options;
  const r = (s.running = { lossSum: 0, hits: 0, seen: 0, startedAt: performance.now(), batches: 0 });
  list.epochBegin(epoch, s);
  for (const batch of batches(train, { batchSize, shuffle: true, seed, epoch, augment, normalize })) {
    // Let the event loop run once per batch: signal handlers and pending requests get their turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) {
      s.interrupted = true;
      list.interrupt(epoch, s);
      return null;
    }
    const { loss, hits } = trainBatch(s, batch, epoch, r.batches, first);
    const n = batch.labels.length;
    Object.assign(r, {
      lossSum: r.lossSum + loss * n,
      hits: r.hits + hits,
      seen: r.seen + n,
      batches: r.batches + 1,
    });
    list.batchEnd({ epoch, batch: r.batches, loss, accuracy: hits / n }, s);
  }
  const seconds = (performance.now() - r.startedAt) / 1000;
  return {
    epoch: epoch + 1,
    lr: s.optimizer.lr,
    loss: r.lossSum / r.seen,
    accuracy: r.hits / r.seen,
    imagesPerSecond: r.seen / seconds,
    seconds,
  };
}

/**
 * Trains `model` with softmax cross-entropy: each epoch, seeded shuffled batches with one
 * optimiser step each; everything else is a {@link Callback} (validation and restore-best,
 * atomic checkpoints and exact resume, progress, the caller's hooks, early stopping). A NaN/Inf
 * or diverging loss stops with an error and leaves the last good checkpoint. A resumed run gives
 * the numbers of an uninterrupted one (same seed and kernels). It yields to the event loop once
 * per batch, so an aborted `signal` (Ctrl-C) stops training after the current batch.
 */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  checkOptions(options);
  const optimizer = options.optimizer ?? new Adam({ lr: 1e-3, weightDecay: 1e-3 });
  const baseLr = optimizer.lr;
  const schedule =
    typeof options.schedule === 'function'
      ? options.schedule
      : makeSchedule(options.schedule ?? { name: 'constant' }, options.epochs);
  const streams: Map<string, RandomStream> = options.randomState
    ? new Map([['encoder', options.randomState]])
    : model.randomStreams();
  const s: FitState = {
    ...{ model, optimizer, options, streams, startEpoch: 0, history: [], bestMetric: null, bestEpoch: null },
    ...{ improved: false, stopTraining: false, interrupted: false, restoredBest: false },
    running: { lossSum: 0, hits: 0, seen: 0, startedAt: 0, batches: 0 },
  };
  const list = callbackList(options);
  await list.trainBegin(s);
  if (s.startEpoch > 0) await list.resumed(s.history);
  const first = { loss: null as number | null };
  model.train();
  for (let epoch = s.startEpoch; epoch < options.epochs && !s.stopTraining; epoch++) {
    optimizer.lr = schedule(epoch, baseLr);
    const log = await runEpoch(s, list, epoch, first);
    if (!log) break;
    s.history.push(log);
    await list.epochEnd(log, s);
  }
  await list.trainEnd(s);
  const { history, bestEpoch, bestMetric, stopTraining, interrupted, restoredBest } = s;
  return {
    history,
    bestEpoch,
    bestMetric,
    stoppedEarly: stopTraining,
    interrupted,
    backend: currentBackend(),
    restoredBest,
  };
}
