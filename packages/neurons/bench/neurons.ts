// Fused vs unfused LIF forward+backward on [8, 32, 64, 16, 16] (4.2 M elements a step):
// median time and peak tensor memory, side by side in one run, printed as ratios.
// Usage: pnpm --filter @hybridspike/neurons bench [--backend wasm|cpu] [--reps N]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, type BackendName } from '@hybridspike/core';
import { medianMs } from '@hybridspike/core/internal/testing';
import { LIF } from '../src/index.js';
import { unfusedNeuron } from '../src/internal.js';
import '../src/plugin.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const { backend } = await initRuntime({ backend: arg('--backend', 'wasm') as BackendName });
const reps = Number(arg('--reps', '5'));
const shape = [8, 32, 64, 16, 16];
const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 0.8), 0.6);
const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
const lif = new LIF();

async function measure(name: string, f: (v: tf.Tensor) => tf.Tensor) {
  const run = () => tf.tidy(() => void tf.grad(f)(x, dy).dataSync());
  const med = await medianMs(run, reps);
  const heap0 = process.memoryUsage().arrayBuffers;
  const prof = await tf.profile(run);
  const jsBytes = process.memoryUsage().arrayBuffers - heap0;
  console.log(
    `${name.padEnd(8)} ${med.toFixed(0)} ms  peak tensor memory ${(prof.peakBytes / 2 ** 20).toFixed(0)} MiB  kernels ${prof.kernels.length}  (arrayBuffers after: ${(jsBytes / 2 ** 20).toFixed(0)} MiB)`,
  );
  return { med, peak: prof.peakBytes, kernels: prof.kernels.length };
}

console.log(`backend ${backend}; LIF fwd+bwd on [${shape}]; median of ${reps}`);
const fused = await measure('fused', (v) => lif.forward(v));
const unfused = await measure('unfused', (v) => unfusedNeuron(v, lif.dynamics(), lif.surrogate));
console.log(
  `speed-up fused/unfused: ${(unfused.med / fused.med).toFixed(2)}x; peak memory ratio unfused/fused: ${(unfused.peak / fused.peak).toFixed(2)}x; kernels ${unfused.kernels} -> ${fused.kernels}`,
);
