// Bit-plane encode forward / backward throughput (elements of output per second) on a
// Note: a tidy() must not return the Float32Array: tfjs would walk its 786k entries looking for tensors.
// [32,3,32,32] input, beside a plain copy of the output size (the memory-bound ceiling).
// Usage: pnpm --filter @hybridspike/encoders bench
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { medianMs } from '@hybridspike/core/internal/testing';
import { BitPlaneEncoder } from '../src/index.js';

const reps = 20;
const time = (fn: () => void) => medianMs(fn, reps);

const { backend } = await initRuntime();
const shape = [32, 3, 32, 32];
const x = tf.randomNormal(shape);
const outElems = 8 * x.size;
console.log(`backend ${backend}; input [${shape}], output ${outElems} elements; median of ${reps}`);
for (const surrogate of ['fourier', 'sigsine', 'tanhsine'] as const) {
  const enc = new BitPlaneEncoder({ surrogate });
  const fwd = await time(() => tf.tidy(() => void enc.encode(x).dataSync()));
  const w = tf.randomNormal([8, ...shape]);
  const both = await time(() =>
    tf.tidy(
      () =>
        void tf
          .grad((v: tf.Tensor) => enc.encode(v))(x, w)
          .dataSync(),
    ),
  );
  console.log(
    `${surrogate.padEnd(8)} forward ${(outElems / fwd / 1e3).toFixed(1)} M elem/s (${fwd.toFixed(2)} ms); forward+backward ${(outElems / both / 1e3).toFixed(1)} M elem/s (${both.toFixed(2)} ms)`,
  );
  w.dispose();
}
const src = new Float32Array(outElems);
const dst = new Float32Array(outElems);
const copy = await time(() => dst.set(src));
const tcopy = await time(() => tf.tidy(() => void tf.clone(tf.tensor(src)).dataSync()));
console.log(
  `bound: Float32Array copy ${(outElems / copy / 1e3).toFixed(1)} M elem/s (${copy.toFixed(2)} ms); tf upload+clone+download ${(outElems / tcopy / 1e3).toFixed(1)} M elem/s (${tcopy.toFixed(2)} ms)`,
);
