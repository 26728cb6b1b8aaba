import * as tf from '@tensorflow/tfjs-core';
import { currentBackend, HybridSpikeError, type Module } from '@hybridspike/core';
import { loadCheckpoint } from '@hybridspike/core/node';
import { HybridModel, type SpikingSpec } from '@hybridspike/blocks';
import { batchCount, batches, type BatchOptions, type Dataset } from '@hybridspike/data';
import {
  bestCheckpointPath,
  readTrainingCheckpoint,
  writeTrainingCheckpoint,
  type TrainerState,
} from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { batchMetrics, crossEntropy } from './metrics.js';
import { Adam, type Optimizer } from './optimizers.js';
import { epochProgress } from './progress.js';
import { makeSchedule, type Schedule, type ScheduleConfig } from './schedules.js';

/** One epoch's record. */
export interface EpochLog {
  epoch: number;
  lr: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  valTop5?: number;
  imagesPerSecond: number;
  seconds: number;
}

export interface BatchLog {
  epoch: number;
  batch: number;
  loss: number;
  accuracy: number;
}

export interface FitOptions {
  train: Dataset;
  validation?: Dataset;
  epochs: number;
  batchSize: number;
  /** Default: Adam, lr 1e-3, weight decay 1e-3 (the authors' recipe). */
  optimizer?: Optimizer;
  schedule?: Schedule | ScheduleConfig;
  /** Seeds shuffling and augmentation (per epoch, so a resumed run draws the same). */
  seed?: number;
  augment?: BatchOptions['augment'];
  normalize?: BatchOptions['normalize'];
  /** Folder for per-epoch checkpoints (atomic); required for `resume`. */
  checkpointDir?: string;
  /** Continue from `checkpointDir` when it holds a checkpoint. */
  resume?: boolean;
  callbacks?: {
    /** After a resume, with the epochs the checkpoint restored (e.g. to log any a crash lost). */
    onResume?: (history: EpochLog[]) => void | Promise<void>;
    onEpochEnd?: (log: EpochLog) => void | 'stop';
    onBatchEnd?: (log: BatchLog) => void;
  };
  /** Stop when the validation metric has not improved for `patience` epochs. */
  earlyStopping?: { patience: number; monitor?: 'valAccuracy' | 'valLoss' };
  progress?: 'auto' | 'bar' | 'lines' | 'quiet';
  /** Stop after the current batch (the last finished epoch stays checkpointed). */
  signal?: AbortSignal;
  /**
   * Random state saved in checkpoints and restored on resume, so a resumed run draws the same
   * numbers (a rate encoder's stream). Default: the encoder of a has8Vgg / has8ResNet model, when
   * it has one.
   */
  randomState?: RngHolder;
  /**
   * Stop with an error when a batch loss exceeds this many times the first batch's loss (a
   * diverging run, e.g. a learning rate far too high). Default 1000; `Infinity` turns it off.
   */
  divergenceFactor?: number;
  /**
   * After training, load the weights of the best validation epoch (model selection on the
   * validation set; needs `validation` and `checkpointDir`). Default false: the last epoch's.
   */
  restoreBest?: boolean;
}

export interface FitResult {
  history: EpochLog[];
  bestEpoch: number | null;
  bestMetric: number | null;
  stoppedEarly: boolean;
  interrupted: boolean;
  backend: string;
  /** Whether the model now holds the best epoch's weights ({@link FitOptions.restoreBest}). */
  restoredBest: boolean;
}

/** Something with a random stream to checkpoint. */
export interface RngHolder {
  getRngState(): number[];
  setRngState(s: number[]): void;
}

/** The random state to checkpoint: the option, else a zoo model's stateful encoder (rate coding). */
function encoderRng(model: Module, given: RngHolder | undefined): RngHolder | null {
  if (given) return given;
  if (!(model instanceof HybridModel)) return null;
  const enc = model.spec.encoder as SpikingSpec['encoder'] & Partial<RngHolder>;
  return typeof enc.getRngState === 'function' && typeof enc.setRngState === 'function'
    ? (enc as SpikingSpec['encoder'] & RngHolder)
    : null;
}

/**
 * Trains `model` with softmax cross-entropy. Each epoch: seeded shuffled batches, one optimiser
 * step per batch, validation, a checkpoint (weights, optimiser slots, RNG and trainer state,
 * written atomically), callbacks and early stopping. A NaN/Inf loss stops with an error and
 * leaves the last good checkpoint in place. `resume` continues from `checkpointDir` and gives
 * the same numbers as an uninterrupted run with the same seed and backend. Asynchronous: it
 * yields to the event loop once per batch, so an `AbortSignal` aborted by a signal handler stops
 * training after the current batch.
 */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  const { train, epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new HybridSpikeError('BAD_ARGUMENT', `epochs must be a positive integer, got ${epochs}.`);
  if (options.resume && !options.checkpointDir)
    throw new HybridSpikeError('BAD_ARGUMENT', 'resume needs a checkpointDir to resume from.');
  if (options.restoreBest && (!options.checkpointDir || !options.validation)) {
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      'restoreBest needs a validation set to select by and a checkpointDir to keep the best weights in.',
    );
  }
  const optimizer = options.optimizer ?? new Adam({ lr: 1e-3, weightDecay: 1e-3 });
  const baseLr = optimizer.lr;
  const schedule =
    typeof options.schedule === 'function'
      ? options.schedule
      : makeSchedule(options.schedule ?? { name: 'constant' }, epochs);
  const seed = options.seed ?? 0;
  const params = model.parameters();
  const vars = [...params.values()];
  const names = new Map(vars.map((v, i) => [v.name, [...params.keys()][i]!]));
  const rng = encoderRng(model, options.randomState);
  let history: EpochLog[] = [];
  let bestMetric: number | null = null;
  let bestEpoch: number | null = null;
  let start = 0;
  const monitor = options.earlyStopping?.monitor ?? 'valAccuracy';
  const better = (a: number, b: number | null) => b === null || (monitor === 'valLoss' ? a < b : a > b);

  if (options.resume) {
    const state = readTrainingCheckpoint(options.checkpointDir!, model, optimizer);
    if (state) {
      start = state.epoch;
      history = state.history as EpochLog[];
      bestMetric = state.bestMetric;
      bestEpoch = state.bestEpoch;
      if (rng && state.rng.encoder) rng.setRngState(state.rng.encoder);
      if (options.progress !== 'quiet')
        console.error(`[hybridspike] resuming from ${options.checkpointDir} after epoch ${start}`);
      await options.callbacks?.onResume?.(history);
    }
  }

  let stoppedEarly = false;
  let interrupted = false;
  const divergence = options.divergenceFactor ?? 1000;
  let firstLoss: number | null = null;
  const lastGood = (epoch: number) => {
    if (!options.checkpointDir) return 'no checkpointDir was set, so nothing was saved';
    if (epoch === 0) return 'no checkpoint was written yet (the first epoch did not finish)';
    return `the last good checkpoint (epoch ${epoch}) is in ${options.checkpointDir}`;
  };
  model.train();
  for (let epoch = start; epoch < epochs && !stoppedEarly && !interrupted; epoch++) {
    optimizer.lr = schedule(epoch, baseLr);
    const total = batchCount(train, batchSize);
    const bar = epochProgress(epoch, epochs, total, options.progress ?? 'auto');
    const t0 = performance.now();
    let lossSum = 0;
    let hits = 0;
    let seen = 0;
    let b = 0;
    for (const batch of batches(train, {
      batchSize,
      shuffle: true,
      seed,
      epoch,
      augment: options.augment,
      normalize: options.normalize,
    })) {
      // Let the event loop run once per batch: signal handlers (Ctrl-C, SIGTERM) and pending
      // tracking requests get their turn while training goes on.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      let logits: tf.Tensor | undefined;
      const x = tf.tensor(batch.x, batch.shape);
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(x);
        logits = tf.keep(out);
        return crossEntropy(out, batch.labels);
      }, vars);
      const loss = value.dataSync()[0]!;
      firstLoss ??= loss;
      if (!Number.isFinite(loss)) {
        tf.dispose([x, value, logits!, ...Object.values(grads)]);
        throw new HybridSpikeError(
          'NON_FINITE',
          `loss became ${loss} at epoch ${epoch + 1}, batch ${b + 1}; ${lastGood(epoch)}. Lower the learning rate or check the data.`,
        );
      }
      if (loss > divergence * Math.max(firstLoss, 1e-3)) {
        tf.dispose([x, value, logits!, ...Object.values(grads)]);
        throw new HybridSpikeError(
          'DIVERGED',
          `training diverged: loss ${loss.toExponential(3)} at epoch ${epoch + 1}, batch ${b + 1} is over ${divergence}x the first batch's ${firstLoss.toFixed(4)}; ${lastGood(epoch)}. Lower the learning rate (divergenceFactor sets this check).`,
        );
      }
      const g = new Map<string, tf.Tensor>();
      for (const [vname, t] of Object.entries(grads)) g.set(names.get(vname)!, t);
      optimizer.step(params, g);
      const m = batchMetrics(logits!, batch.labels);
      tf.dispose([x, value, logits!, ...Object.values(grads)]);
      lossSum += loss * batch.labels.length;
      hits += m.top1;
      seen += batch.labels.length;
      b++;
      const secs = (performance.now() - t0) / 1000;
      bar.update(b, { loss: lossSum / seen, acc: hits / seen, ips: seen / secs });
      options.callbacks?.onBatchEnd?.({ epoch, batch: b, loss, accuracy: m.top1 / batch.labels.length });
    }
    if (interrupted) {
      bar.stop(`[hybridspike] interrupted in epoch ${epoch + 1}; the checkpoint of epoch ${epoch} is kept.`);
      break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const log: EpochLog = {
      epoch: epoch + 1,
      lr: optimizer.lr,
      loss: lossSum / seen,
      accuracy: hits / seen,
      imagesPerSecond: seen / seconds,
      seconds,
    };
    if (options.validation) {
      // Same batch size as training: per-tensor min-max rescaling in the encoders sees batches alike.
      const v = evaluate(model, options.validation, { batchSize, normalize: options.normalize });
      Object.assign(log, { valLoss: v.loss, valAccuracy: v.accuracy, valTop5: v.top5 });
    }
    history.push(log);
    const metric = monitor === 'valLoss' ? log.valLoss : log.valAccuracy;
    const improved = metric !== undefined && better(metric, bestMetric);
    if (improved) {
      bestMetric = metric!;
      bestEpoch = epoch + 1;
    }
    if (options.checkpointDir) {
      const state: TrainerState = {
        epoch: epoch + 1,
        history,
        bestMetric,
        bestEpoch,
        optimizer: { name: optimizer.name, scalars: {} },
        rng: rng ? { encoder: rng.getRngState() } : {},
        savedAt: new Date().toISOString(),
      };
      writeTrainingCheckpoint(options.checkpointDir, model, optimizer, state, { improved });
    }
    const val =
      log.valAccuracy !== undefined
        ? `, val loss ${log.valLoss!.toFixed(4)} acc ${log.valAccuracy.toFixed(4)}`
        : '';
    bar.stop(
      `epoch ${epoch + 1}/${epochs}: loss ${log.loss.toFixed(4)} acc ${log.accuracy.toFixed(4)}${val}, ${log.imagesPerSecond.toFixed(1)} img/s, ${seconds.toFixed(1)} s`,
    );
    if (options.callbacks?.onEpochEnd?.(log) === 'stop') stoppedEarly = true;
    const patience = options.earlyStopping?.patience;
    if (patience !== undefined && bestEpoch !== null && epoch + 1 - bestEpoch >= patience)
      stoppedEarly = true;
  }
  let restoredBest = false;
  const best = options.restoreBest && !interrupted && bestEpoch !== null;
  if (best) {
    const path = bestCheckpointPath(options.checkpointDir!);
    if (!path)
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `the best weights (epoch ${bestEpoch}) are missing from ${options.checkpointDir}; delete that folder to start over.`,
      );
    loadCheckpoint(model, path);
    restoredBest = true;
  }
  return {
    history,
    bestEpoch,
    bestMetric,
    stoppedEarly,
    interrupted,
    backend: currentBackend(),
    restoredBest,
  };
}
