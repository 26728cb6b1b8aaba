import * as tf from '@tensorflow/tfjs-core';
import { registry, Rng, type ComponentRef } from '@hybridspike/core';
import type { HybridModel } from '@hybridspike/blocks';
import {
  channelStats,
  resizeDataset,
  resizeModeFor,
  subset,
  trainValidationSplit,
  type Dataset,
} from '@hybridspike/data';
import type { Optimizer, Schedule } from '@hybridspike/trainer';
import type { TrialConfig } from './config.js';

const ref = (r: unknown): ComponentRef => (typeof r === 'string' ? { name: r } : (r as ComponentRef));

function limit(ds: Dataset, n: number | undefined, seed: number, label: string): Dataset {
  if (n === undefined || n >= ds.count) return ds;
  const order = new Rng(`${seed}:${label}`).shuffle(
    Uint32Array.from({ length: ds.count }, (_, i) => i),
  ) as Uint32Array;
  return subset(ds, order.subarray(0, n), `${ds.name}[${n}]`);
}

/** A trial's data: train, validation (carved from train; null when `data.validation` is 0) and test. */
export interface TrialData {
  train: Dataset;
  validation: Dataset | null;
  test: Dataset;
  normalize?: { mean: number[]; std: number[] };
}

/**
 * The data of a trial: loaded, resized, limited, the validation set carved from the training
 * data (seeded by the trial's seed, stratified by class), normalisation stats of what remains.
 */
export function buildData(c: TrialConfig): TrialData {
  const src = registry.create('dataset', ref(c.dataset));
  let train = src.load('train');
  let test = src.load('test');
  const size = c.data.size;
  if (size !== undefined) {
    const to = { height: size, width: size };
    const mode = resizeModeFor(train, to);
    train = resizeDataset(train, to, mode);
    test = resizeDataset(test, to, mode);
  }
  train = limit(train, c.data.trainLimit, c.seed, 'train-limit');
  test = limit(test, c.data.testLimit, c.seed, 'test-limit');
  let validation: Dataset | null = null;
  if (c.data.validation > 0) {
    ({ train, validation } = trainValidationSplit(train, {
      validation: c.data.validation,
      seed: c.seed,
      stratified: true,
    }));
  }
  return { train, validation, test, normalize: c.data.normalize ? channelStats(train) : undefined };
}

/** The model of a trial, built by name with the trial's encoder, neuron, branch and seed. */
export function buildModel(c: TrialConfig, data: { channels: number; classes: number }): HybridModel {
  return registry.create('model', {
    ...(c.model as ComponentRef),
    inChannels: data.channels,
    numClasses: data.classes,
    branch: c.branch,
    seed: c.seed,
    encoder: ref(c.encoder),
    neuron: ref(c.neuron),
  }) as HybridModel;
}

export function buildOptimizer(c: TrialConfig): { optimizer: Optimizer; schedule: Schedule } {
  return {
    optimizer: registry.create('optimizer', ref(c.train.optimizer)),
    schedule: registry.create('schedule', ref(c.train.schedule))(c.train.epochs),
  };
}

/** The first `n` images of a dataset as an NHWC float tensor in [0, 1]. */
export function firstImages(ds: Dataset, n: number): tf.Tensor4D {
  const k = Math.min(n, ds.count);
  const per = ds.height * ds.width * ds.channels;
  return tf.tensor4d(
    Float32Array.from(ds.images.subarray(0, k * per), (v) => v / 255),
    [k, ds.height, ds.width, ds.channels],
  );
}
