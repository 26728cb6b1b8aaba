import * as tf from '@tensorflow/tfjs-core';
import {
  decodeSafetensors,
  encodeSafetensors,
  HybridSpikeError,
  type Module,
  type NamedArray,
} from '@hybridspike/core';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@hybridspike/core/node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Optimizer } from './optimizers.js';

/** What `trainer.json` holds beside the weights: enough to continue as if never stopped. */
export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  history: unknown[];
  bestMetric: number | null;
  bestEpoch: number | null;
  optimizer: { name: string; scalars: Record<string, number> };
  /** RNG states of stateful encoders (rate coding), by name. */
  rng: Record<string, number[]>;
  savedAt: string;
}

export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'trainer.json',
  best: 'best.safetensors',
};

/** Writes weights, optimizer slots and trainer state; `trainer.json` goes last as the commit point. */
export function writeTrainingCheckpoint(
  dir: string,
  model: Module,
  optimizer: Optimizer,
  state: TrainerState,
): void {
  saveCheckpoint(model, join(dir, CHECKPOINT_FILES.model), { epoch: String(state.epoch) });
  const opt = optimizer.getState();
  const arrays = new Map<string, NamedArray>();
  for (const [k, t] of opt.tensors) arrays.set(k, { shape: t.shape, data: t.dataSync() as Float32Array });
  writeFileAtomic(
    join(dir, CHECKPOINT_FILES.optimizer),
    encodeSafetensors(arrays, { optimizer: optimizer.name }),
  );
  writeFileAtomic(
    join(dir, CHECKPOINT_FILES.state),
    JSON.stringify({ ...state, optimizer: { name: optimizer.name, scalars: opt.scalars } }, null, 2),
  );
}

/** Loads a checkpoint written by {@link writeTrainingCheckpoint}; null when the folder has none. */
export function readTrainingCheckpoint(
  dir: string,
  model: Module,
  optimizer: Optimizer,
): TrainerState | null {
  const statePath = join(dir, CHECKPOINT_FILES.state);
  if (!existsSync(statePath)) return null;
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
    if (
      typeof state.epoch !== 'number' ||
      !Array.isArray(state.history) ||
      typeof state.optimizer?.name !== 'string'
    )
      throw new Error('fields epoch, history or optimizer are missing');
  } catch (e) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint '${statePath}' is corrupt (${(e as Error).message}); delete the folder ${dir} to start over (a sweep's --force does).`,
      { cause: e },
    );
  }
  if (state.optimizer.name !== optimizer.name) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint in ${dir} was written by optimizer '${state.optimizer.name}', not '${optimizer.name}'.`,
    );
  }
  loadCheckpoint(model, join(dir, CHECKPOINT_FILES.model));
  const optPath = join(dir, CHECKPOINT_FILES.optimizer);
  let tensors: ReturnType<typeof decodeSafetensors>['tensors'];
  try {
    tensors = decodeSafetensors(new Uint8Array(readFileSync(optPath))).tensors;
  } catch (e) {
    throw new HybridSpikeError('CHECKPOINT_MISMATCH', `checkpoint '${optPath}': ${(e as Error).message}`, {
      cause: e,
    });
  }
  const slots = new Map<string, tf.Tensor>();
  for (const [k, a] of tensors) slots.set(k, tf.tensor(a.data, a.shape, 'float32'));
  optimizer.setState({ tensors: slots, scalars: state.optimizer.scalars });
  tf.dispose([...slots.values()]);
  return state;
}
