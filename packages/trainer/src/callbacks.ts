import type { Module, RandomStream } from '@hybridspike/core';
import type { EpochLog, BatchLog, FitOptions } from './fit-types.js';
import type { Optimizer } from './optimizers.js';

/** What a `fit` call shares with its callbacks: the run's state, read and updated in turn. */
export interface FitState {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly options: FitOptions;
  /** Random streams kept in checkpoints, by path (the model's, or `options.randomState`). */
  readonly streams: Map<string, RandomStream>;
  /** First epoch to run (after a resume: the epochs already done). */
  startEpoch: number;
  history: EpochLog[];
  bestMetric: number | null;
  bestEpoch: number | null;
  /** Set by the epoch that improved the monitored metric, for the checkpoint of that epoch. */
  improved: boolean;
  /** Running sums of the current epoch (for progress). */
  running: { lossSum: number; hits: number; seen: number; startedAt: number; batches: number };
  /** Set by a callback to end training after this epoch. */
  stopTraining: boolean;
  interrupted: boolean;
  restoredBest: boolean;
}

/**
 * A hook into `fit` (tfjs-layers' callbacks, Lightning's hooks): every member is optional. The
 * loop itself only trains; validation, checkpoints and resume, progress, early stopping and the
 * caller's logging are callbacks, run in the order given.
 */
export interface Callback {
  /** Before the first epoch (after a resume restored the state). */
  onTrainBegin?(state: FitState): void | Promise<void>;
  /** After a resume, with the epochs the checkpoint restored (e.g. to log any a crash lost). */
  onResume?(history: EpochLog[]): void | Promise<void>;
  /** Before the first batch of `epoch` (0-based). */
  onEpochBegin?(epoch: number, state: FitState): void;
  /** After each optimiser step, with the batch's loss and accuracy. */
  onBatchEnd?(log: BatchLog, state: FitState): void;
  /** The epoch's record, filled in place by earlier callbacks (validation); 'stop' ends training. */
  onEpochEnd?(log: EpochLog, state: FitState): void | 'stop' | Promise<void | 'stop'>;
  /** Training stopped inside `epoch` (the abort signal). */
  onInterrupt?(epoch: number, state: FitState): void;
  /** After the last epoch, also when training stopped early or was interrupted. */
  onTrainEnd?(state: FitState): void | Promise<void>;
}

/** Runs each hook of every callback in order. */
export class CallbackList {
  constructor(private readonly callbacks: Callback[]) {}

  /** Runs every `onTrainBegin`. */
  async trainBegin(s: FitState): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(s);
  }
  /** Runs every `onResume`. */
  async resumed(history: EpochLog[]): Promise<void> {
    for (const c of this.callbacks) await c.onResume?.(history);
  }
  /** Runs every `onEpochBegin`. */
  epochBegin(epoch: number, s: FitState): void {
    for (const c of this.callbacks) c.onEpochBegin?.(epoch, s);
  }
  /** Runs every `onBatchEnd`. */
  batchEnd(log: BatchLog, s: FitState): void {
    for (const c of this.callbacks) c.onBatchEnd?.(log, s);
  }
  /** Runs every `onEpochEnd`; one that answers 'stop' sets `stopTraining`. */
  async epochEnd(log: EpochLog, s: FitState): Promise<void> {
    for (const c of this.callbacks) if ((await c.onEpochEnd?.(log, s)) === 'stop') s.stopTraining = true;
  }
  /** Runs every `onInterrupt`. */
  interrupt(epoch: number, s: FitState): void {
    for (const c of this.callbacks) c.onInterrupt?.(epoch, s);
  }
  /** Runs every `onTrainEnd`. */
  async trainEnd(s: FitState): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(s);
  }
}
