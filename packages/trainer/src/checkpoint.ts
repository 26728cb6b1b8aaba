import * as tf from '@tensorflow/tfjs-core';
import {
  decodeSafetensors,
  encodeSafetensors,
  HybridSpikeError,
  deserializeModule,
  serializeModule,
  type Module,
  type NamedArray,
} from '@hybridspike/core';
import { fsyncDir, renameDurably, writeFileSynced } from '@hybridspike/core/node';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  /** SHA-256 of every other file of the checkpoint, checked on load. */
  files?: Record<string, string>;
}

/** The files of one checkpoint folder (`<checkpointDir>/epoch-NNNNNN/`). */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'trainer.json',
  best: 'best.safetensors',
};

const EPOCH_DIR = /^epoch-(\d{6})$/;
const epochDir = (epoch: number) => `epoch-${String(epoch).padStart(6, '0')}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What to do about a damaged checkpoint, said the same way everywhere. */
const REMEDY = (dir: string) =>
  `delete ${dir} to start the trial over (a sweep's or trial's --force does the same)`;

/** The newest complete checkpoint folder in `dir` (`epoch-NNNNNN`), or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const epochs = readdirSync(dir)
    .filter((d) => EPOCH_DIR.test(d))
    .sort();
  return epochs.length ? join(dir, epochs[epochs.length - 1]!) : null;
}

/** The best weights kept by the newest checkpoint in `dir`, or null. */
export function bestCheckpointPath(dir: string): string | null {
  const latest = latestCheckpoint(dir);
  const best = latest && join(latest, CHECKPOINT_FILES.best);
  return best && existsSync(best) ? best : null;
}

/**
 * Writes one checkpoint as one atomic unit: weights, optimizer slots, the best weights so far
 * (`improved`: the current weights are the new best; else the previous checkpoint's best is
 * carried over) and `trainer.json` (with every file's SHA-256) go into a new folder, flushed to
 * disk, which is then renamed into place as `epoch-NNNNNN`; older checkpoints are removed after.
 * A crash at any moment leaves the previous checkpoint or this one, never a mix.
 */
export function writeTrainingCheckpoint(
  dir: string,
  model: Module,
  optimizer: Optimizer,
  state: TrainerState,
  options: { improved?: boolean } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const previous = latestCheckpoint(dir);
  const final = join(dir, epochDir(state.epoch));
  const part = `${final}.part-${process.pid}-${randomUUID().slice(0, 8)}`;
  mkdirSync(part);
  try {
    const files: Record<string, string> = {};
    const put = (name: string, bytes: Uint8Array) => {
      writeFileSynced(join(part, name), bytes);
      files[name] = sha256(bytes);
    };
    const weights = serializeModule(model, { epoch: String(state.epoch) });
    put(CHECKPOINT_FILES.model, weights);
    const opt = optimizer.getState();
    const arrays = new Map<string, NamedArray>();
    for (const [k, t] of opt.tensors) arrays.set(k, { shape: t.shape, data: t.dataSync() as Float32Array });
    put(CHECKPOINT_FILES.optimizer, encodeSafetensors(arrays, { optimizer: optimizer.name }));
    const oldBest = previous && join(previous, CHECKPOINT_FILES.best);
    if (options.improved) put(CHECKPOINT_FILES.best, weights);
    // (written, not copied: put flushes it to disk like the others before the rename)
    else if (oldBest && existsSync(oldBest)) put(CHECKPOINT_FILES.best, readFileSync(oldBest));
    const json = { ...state, optimizer: { name: optimizer.name, scalars: opt.scalars }, files };
    writeFileSynced(join(part, CHECKPOINT_FILES.state), JSON.stringify(json, null, 2));
    fsyncDir(part);
    // The same epoch saved again (a resumed run that repeats it): the new folder replaces it.
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    renameDurably(part, final);
    fsyncDir(dir);
  } catch (e) {
    rmSync(part, { recursive: true, force: true });
    throw e;
  }
  // Older checkpoints and folders of saves that never finished (a crash) are of no use now.
  for (const d of readdirSync(dir))
    if ((EPOCH_DIR.test(d) && join(dir, d) !== final) || /^epoch-\d{6}\.part-/.test(d))
      rmSync(join(dir, d), { recursive: true, force: true });
}

/**
 * Reads `trainer.json` and every file it lists, checked against their SHA-256: the state and the
 * checked bytes by file name (what is loaded is what was checked, never a second read).
 */
function readState(ckpt: string, dir: string): { state: TrainerState; bytes: Map<string, Uint8Array> } {
  const statePath = join(ckpt, CHECKPOINT_FILES.state);
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
    if (
      typeof state.epoch !== 'number' ||
      !Array.isArray(state.history) ||
      typeof state.optimizer?.name !== 'string' ||
      typeof state.files !== 'object' ||
      state.files === null
    )
      throw new Error('fields epoch, history, optimizer or files are missing');
  } catch (e) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint '${statePath}' is corrupt (${(e as Error).message}); ${REMEDY(dir)}.`,
      { cause: e },
    );
  }
  const checked = new Map<string, Uint8Array>();
  for (const [name, hash] of Object.entries(state.files!)) {
    const path = join(ckpt, name);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `checkpoint '${path}' is missing (${(e as NodeJS.ErrnoException).code}); ${REMEDY(dir)}.`,
      );
    }
    if (sha256(bytes) !== hash)
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `checkpoint '${path}' does not match the SHA-256 that ${CHECKPOINT_FILES.state} records for epoch ${state.epoch} (damaged or replaced); ${REMEDY(dir)}.`,
      );
    checked.set(name, bytes);
  }
  return { state, bytes: checked };
}

/** Decodes a checked file with `use`; a file trainer.json does not vouch for is never loaded. */
function loadChecked<T>(
  ckpt: string,
  dir: string,
  bytes: Map<string, Uint8Array>,
  name: string,
  use: (b: Uint8Array) => T,
): T {
  const path = join(ckpt, name);
  const b = bytes.get(name);
  if (!b)
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint '${path}' has no SHA-256 in ${CHECKPOINT_FILES.state}, so it cannot be checked; ${REMEDY(dir)}.`,
    );
  try {
    return use(b);
  } catch (e) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint '${path}': ${(e as Error).message}; ${REMEDY(dir)}.`,
      {
        cause: e,
      },
    );
  }
}

/**
 * Loads the best weights kept by the newest checkpoint in `dir` into `model`, checked against
 * `trainer.json` like a resume; false when that checkpoint keeps none.
 */
export function loadBestWeights(dir: string, model: Module): boolean {
  const ckpt = latestCheckpoint(dir);
  if (!ckpt) return false;
  const { bytes } = readState(ckpt, dir);
  // (a best file on disk that trainer.json does not vouch for is refused by loadChecked)
  if (!bytes.has(CHECKPOINT_FILES.best) && !existsSync(join(ckpt, CHECKPOINT_FILES.best))) return false;
  loadChecked(ckpt, dir, bytes, CHECKPOINT_FILES.best, (b) => deserializeModule(model, b));
  return true;
}

/**
 * Loads the newest checkpoint written by {@link writeTrainingCheckpoint} into `model` and
 * `optimizer`; null when `dir` has none. Every file is checked against the hashes in
 * `trainer.json` first: a damaged or mismatched checkpoint is an error that says what to do.
 */
export function readTrainingCheckpoint(
  dir: string,
  model: Module,
  optimizer: Optimizer,
): TrainerState | null {
  const ckpt = latestCheckpoint(dir);
  if (!ckpt) {
    if (existsSync(join(dir, CHECKPOINT_FILES.state)))
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `${dir} holds a checkpoint in the layout of hybridspike 0.1 (files side by side, not one atomic folder), which cannot be trusted after a crash; ${REMEDY(dir)}.`,
      );
    return null;
  }
  const { state, bytes } = readState(ckpt, dir);
  if (state.optimizer.name !== optimizer.name) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint in ${ckpt} was written by optimizer '${state.optimizer.name}', not '${optimizer.name}'; ${REMEDY(dir)}.`,
    );
  }
  const load = <T>(name: string, use: (b: Uint8Array) => T) => loadChecked(ckpt, dir, bytes, name, use);
  const meta = load(CHECKPOINT_FILES.model, (b) => deserializeModule(model, b));
  if (meta.epoch !== undefined && meta.epoch !== String(state.epoch))
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint ${ckpt}: weights of epoch ${meta.epoch} beside the state of epoch ${state.epoch}; ${REMEDY(dir)}.`,
    );
  const tensors = load(CHECKPOINT_FILES.optimizer, (b) => decodeSafetensors(b).tensors);
  const slots = new Map<string, tf.Tensor>();
  for (const [k, a] of tensors) slots.set(k, tf.tensor(a.data, a.shape, 'float32'));
  optimizer.setState({ tensors: slots, scalars: state.optimizer.scalars });
  tf.dispose([...slots.values()]);
  return state;
}
