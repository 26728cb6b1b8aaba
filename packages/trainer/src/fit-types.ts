import type { RandomStream } from '@hybridspike/core';
import type { BatchOptions, Dataset } from '@hybridspike/data';
import type { Callback } from './callbacks.js';
import type { Optimizer } from './optimizers.js';
import type { Schedule, ScheduleConfig } from './schedules.js';

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

/** One training batch's record (what `onBatchEnd` receives). */
export interface BatchLog {
  epoch: number;
  batch: number;
  loss: number;
  accuracy: number;
}

/** What {@link fit} trains on and how (data, epochs, optimiser, schedule, checkpoints, callbacks). */
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
  /**
   * Hooks run after fit's own (validation, checkpoint, progress) and before early stopping, in
   * order: e.g. `{ onEpochEnd: (log) => track(log) }`; returning 'stop' from `onEpochEnd` ends
   * training after that epoch. See {@link Callback}.
   */
  callbacks?: Callback | Callback[];
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

/** What {@link fit} returns: every epoch's record and the best epoch by the monitored metric. */
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
export type RngHolder = RandomStream;
