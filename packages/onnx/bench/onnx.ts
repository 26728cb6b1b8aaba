// Inference images/s of has8Vgg b16 (1 and 3 channels, 32x32, batch 32): onnxruntime-node (CPU)
// vs the same model in tfjs, side by side in one run, as a ratio.
// Usage: pnpm --filter @hybridspike/onnx bench [--reps N] [--threads N]   (--worker: see below)
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { medianMs } from '@hybridspike/core/internal/testing';
import { has8Vgg } from '@hybridspike/blocks';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../src/index.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const reps = Number(arg('--reps', '5'));
const threads = Number(arg('--threads', '0'));
const { backend } = await initRuntime();
const B = 32;

// `--worker --channels C --steps S`: one JSON line for the trainer's compare-torch bench (the
// exported model's inference, in a process of its own so its peak RSS is its own).
if (process.argv.includes('--worker')) {
  const C = Number(arg('--channels', '1'));
  const model = has8Vgg({ inChannels: C, numClasses: 10, base: 16 }).eval();
  const session = await ort.InferenceSession.create(
    exportOnnx(model, { inputShape: [C, 32, 32] }),
    threads ? { intraOpNumThreads: threads } : {},
  );
  const input = Float32Array.from({ length: B * C * 32 * 32 }, (_, i) => ((i * 2654435761) % 251) / 251);
  const feeds = { input: new ort.Tensor('float32', input, [B, C, 32, 32]) };
  const ms = await medianMs(async () => void (await session.run(feeds)), Number(arg('--steps', '6')));
  console.log(
    JSON.stringify({
      impl: 'onnx',
      channels: C,
      train_ips: NaN,
      infer_ips: B / (ms / 1000),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      params: model.parameterCount(),
    }),
  );
  process.exit(0);
}

const timeIt = (f: () => unknown) => medianMs(f, reps);
console.log(
  `tfjs backend ${backend}; onnxruntime-node ${ort.env.versions?.common ?? ''} CPU, intraOpNumThreads ${threads || 'default'}; has8Vgg b16, batch ${B}, 32x32; median of ${reps}`,
);
for (const C of [1, 3]) {
  const model = has8Vgg({ inChannels: C, numClasses: 10, base: 16 }).eval();
  const x = tf.randomUniform([B, 32, 32, C], 0, 1, 'float32', 1);
  const t0 = performance.now();
  const bytes = exportOnnx(model, { inputShape: [C, 32, 32] });
  const exportMs = performance.now() - t0;
  const session = await ort.InferenceSession.create(bytes, threads ? { intraOpNumThreads: threads } : {});
  const nchw = tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array;
  const feeds = { input: new ort.Tensor('float32', nchw, [B, C, 32, 32]) };
  const ortMs = await timeIt(async () => void (await session.run(feeds)));
  const tfMs = await timeIt(() => tf.tidy(() => void model.forward(x).dataSync()));
  console.log(
    `${C} channel(s): onnxruntime ${(B / (ortMs / 1000)).toFixed(1)} img/s, tfjs ${(B / (tfMs / 1000)).toFixed(1)} img/s, ratio ${(tfMs / ortMs).toFixed(2)}x; export ${exportMs.toFixed(0)} ms, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`,
  );
  model.dispose();
}
