// A short, fixed training run whose numbers the thread-count test compares across processes:
// prints one JSON line with the threads the runtime started, the loss per epoch, and hashes of
// the trained weights and of eval-mode logits.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { initRuntime } from '@hybridspike/core';
import { has8Vgg } from '@hybridspike/blocks';
import { loadMnistNpm, resizeDataset, subset } from '@hybridspike/data';
import { Adam, fit } from '../src/index.js';

const { backend, threads, kernels } = await initRuntime({ backend: 'wasm' });
const digits = resizeDataset(loadMnistNpm(), { height: 16, width: 16 }, 'bilinear');
const pick = (n: number, stride: number) =>
  subset(
    digits,
    Uint32Array.from({ length: n }, (_, i) => (i * stride) % digits.count),
    `probe[${n}]`,
  );
const model = has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 2, hidden: [32, 16], seed: 5 });
const r = await fit(model, {
  train: pick(128, 79),
  epochs: 2,
  batchSize: 32,
  optimizer: new Adam({ lr: 3e-3 }),
  seed: 1,
  progress: 'quiet',
});
const hash = (arrays: ArrayLike<number>[]) => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(Float32Array.from(a).buffer));
  return h.digest('hex').slice(0, 16);
};
model.eval();
const test = pick(32, 131);
const x = tf.tensor4d(
  Float32Array.from(test.images, (v) => v / 255),
  [32, 16, 16, 1],
);
const logits = tf.tidy(() => model.forward(x).dataSync());
const weights = [...model.stateDict().values()].map((v) => v.dataSync());
console.log(
  JSON.stringify({
    backend,
    threads,
    kernels,
    losses: r.history.map((e) => e.loss),
    weights: hash(weights),
    logits: hash([logits]),
  }),
);
