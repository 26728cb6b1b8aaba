// has8Vgg b16 training step (forward + backward + Adam) and inference, batch 32, 32x32, with 1 and
// 3 input channels, on the best available backend, in images/s.
// Usage: pnpm --filter @hybridspike/blocks bench [--steps N] [--channels 1,3]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { medianMs } from '@hybridspike/core/internal/testing';
import { has8Vgg } from '../src/index.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const steps = Number(arg('--steps', '3'));
const channels = arg('--channels', '1,3').split(',').map(Number);
const { backend } = await initRuntime();
const B = 32;
console.log(`backend ${backend}; has8Vgg b16, batch ${B}, 32x32; median of ${steps} steps after one warm-up`);
for (const C of channels) {
  const model = has8Vgg({ inChannels: C, numClasses: 10, base: 16 });
  const x = tf.randomUniform([B, 32, 32, C], 0, 1, 'float32', 1);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: B }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  const opt = tf.train.adam(1e-3);
  const vars = [...model.parameters().values()];
  const train = () => {
    const cost = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar,
      true,
      vars,
    );
    cost!.dataSync();
    cost!.dispose();
  };
  const infer = () => tf.tidy(() => void model.forward(x).dataSync());
  const timeIt = (f: () => void) => medianMs(f, steps);
  const trainMs = await timeIt(train);
  model.eval();
  const inferMs = await timeIt(infer);
  model.train();
  console.log(
    `${C} channel(s): train ${(B / (trainMs / 1000)).toFixed(1)} img/s (${trainMs.toFixed(0)} ms/step), inference ${(B / (inferMs / 1000)).toFixed(1)} img/s (${inferMs.toFixed(0)} ms/batch); params ${model.parameterCount()}`,
  );
  model.dispose();
  tf.dispose([x, y]);
}
