import { HybridSpikeError } from '@hybridspike/core';
import { batchCount } from '@hybridspike/data';
import type { Callback } from './callbacks.js';
import { loadBestWeights, readTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import type { EpochLog } from './fit-types.js';
import { epochProgress, type EpochProgress } from './progress.js';

/**
 * Validation and model selection: scores each epoch on `options.validation` (same batch size as
 * training: per-tensor rescaling in the encoders sees batches alike), tracks the best epoch of
 * the monitored metric, and with `restoreBest` leaves the best epoch's weights at the end.
 */
export function validation(): Callback {
  return {
    onEpochEnd(log, s) {
      const { options } = s;
      if (options.validation) {
        const v = evaluate(s.model, options.validation, {
          batchSize: options.batchSize,
          normalize: options.normalize,
        });
        Object.assign(log, { valLoss: v.loss, valAccuracy: v.accuracy, valTop5: v.top5 });
      }
      const monitor = options.earlyStopping?.monitor ?? 'valAccuracy';
      const metric = monitor === 'valLoss' ? log.valLoss : log.valAccuracy;
      const better =
        metric !== undefined &&
        (s.bestMetric === null || (monitor === 'valLoss' ? metric < s.bestMetric : metric > s.bestMetric));
      s.improved = better;
      if (better) {
        s.bestMetric = metric!;
        s.bestEpoch = log.epoch;
      }
    },
    onTrainEnd(s) {
      if (!s.options.restoreBest || s.interrupted || s.bestEpoch === null) return;
      if (!loadBestWeights(s.options.checkpointDir!, s.model))
        throw new HybridSpikeError(
          'CHECKPOINT_MISMATCH',
          `the best weights (epoch ${s.bestEpoch}) are missing from ${s.options.checkpointDir}; delete that folder to start over.`,
        );
      s.restoredBest = true;
    },
  };
}

/**
 * Checkpoints and resume: with `resume`, restores the newest checkpoint of `checkpointDir`
 * (weights, optimiser slots, random streams, history, best epoch) before training; after every
 * epoch writes one atomic checkpoint.
 */
export function checkpoints(dir: string): Callback {
  return {
    onTrainBegin(s) {
      if (!s.options.resume) return;
      const state = readTrainingCheckpoint(dir, s.model, s.optimizer);
      if (!state) return;
      s.startEpoch = state.epoch;
      s.history = state.history as EpochLog[];
      s.bestMetric = state.bestMetric;
      s.bestEpoch = state.bestEpoch;
      for (const [path, stream] of s.streams) {
        const saved = state.rng[path];
        if (saved) stream.setRngState(saved);
      }
      if (s.options.progress !== 'quiet')
        console.error(`[hybridspike] resuming from ${dir} after epoch ${s.startEpoch}`);
    },
    onEpochEnd(log, s) {
      writeTrainingCheckpoint(
        dir,
        s.model,
        s.optimizer,
        {
          epoch: log.epoch,
          history: s.history,
          bestMetric: s.bestMetric,
          bestEpoch: s.bestEpoch,
          optimizer: { name: s.optimizer.name, scalars: {} },
          rng: Object.fromEntries([...s.streams].map(([path, stream]) => [path, stream.getRngState()])),
          savedAt: new Date().toISOString(),
        },
        { improved: s.improved },
      );
    },
  };
}

/** Progress: a bar per epoch on a TTY, one summary line per epoch otherwise, nothing when quiet. */
export function progress(): Callback {
  let bar: EpochProgress | null = null;
  return {
    onEpochBegin(epoch, s) {
      const { options } = s;
      bar = epochProgress(
        epoch,
        options.epochs,
        batchCount(options.train, options.batchSize),
        options.progress ?? 'auto',
      );
    },
    onBatchEnd(log, s) {
      const r = s.running;
      bar?.update(log.batch, {
        loss: r.lossSum / r.seen,
        acc: r.hits / r.seen,
        ips: r.seen / ((performance.now() - r.startedAt) / 1000),
      });
    },
    onInterrupt(epoch) {
      bar?.stop(`[hybridspike] interrupted in epoch ${epoch + 1}; the checkpoint of epoch ${epoch} is kept.`);
    },
    onEpochEnd(log, s) {
      const val =
        log.valAccuracy !== undefined
          ? `, val loss ${log.valLoss!.toFixed(4)} acc ${log.valAccuracy.toFixed(4)}`
          : '';
      bar?.stop(
        `epoch ${log.epoch}/${s.options.epochs}: loss ${log.loss.toFixed(4)} acc ${log.accuracy.toFixed(4)}${val}, ${log.imagesPerSecond.toFixed(1)} img/s, ${log.seconds.toFixed(1)} s`,
      );
    },
  };
}

/** Early stopping: ends training once the monitored metric has not improved for `patience` epochs. */
export function earlyStopping(patience: number): Callback {
  return {
    onEpochEnd(log, s) {
      if (s.bestEpoch !== null && log.epoch - s.bestEpoch >= patience) return 'stop';
    },
  };
}
