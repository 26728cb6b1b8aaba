// Per-shape convolution speed, oneDNN (native) vs the wasm path (XNNPACK + hybridspike's SIMD
// kernels), on has8Vgg's and has8ResNet's shapes: GFLOP/s of the forward, input gradient and
// filter gradient, medians of interleaved rounds, in one process. Prints the CPU model and ISA.
// Usage: node --conditions=@hybridspike/source --import tsx packages/native/bench/conv-shapes.ts [--rounds 5]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { readFileSync } from 'node:fs';
import { loadAddon, nativeSwitch } from '../src/index.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const rounds = Number(arg('--rounds', '5'));

// [batch, H=W, Ci, Co, k, stride]
const SHAPES: [number, number, number, number, number, number][] = [
  [32, 32, 1, 16, 3, 1],
  [32, 16, 16, 32, 3, 1],
  [32, 8, 32, 64, 3, 1],
  [32, 4, 64, 128, 3, 1],
  [32, 2, 128, 256, 3, 1],
  [32, 32, 3, 48, 3, 1],
  [32, 16, 48, 96, 3, 1],
  [32, 32, 3, 64, 7, 2],
  [32, 8, 64, 64, 3, 1],
  [32, 8, 64, 128, 3, 2],
  [32, 8, 64, 128, 1, 2],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
const { threads, kernels } = await initRuntime();
const loaded = loadAddon();
// --native-threads n: oneDNN's threads apart from the wasm pool's (to measure who owns the cores).
if ('addon' in loaded && process.argv.includes('--native-threads'))
  loaded.addon.setThreads(Number(arg('--native-threads', '1')));
const isa = 'addon' in loaded ? loaded.addon.version().isa : 'n/a';
console.log(`CPU: ${cpu}; oneDNN ISA: ${isa}; threads: ${threads}; kernels: ${kernels}`);
if (kernels === 'wasm-simd') console.log('(native kernels not available: both columns are the wasm path)');
console.log('| batch, HxW, Ci -> Co, k/s | native fwd / dx / dw GFLOP/s | wasm fwd / dx / dw GFLOP/s |');
console.log('|---|---|---|');
for (const [n, hw, ci, co, k, s] of SHAPES) {
  const x = tf.randomNormal([n, hw, hw, ci]) as tf.Tensor4D;
  const w = tf.randomNormal([k, k, ci, co]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, s, 'same');
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const flops = 2 * y.size * k * k * ci;
  const attrs = { strides: [s, s], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
  // The kernels themselves, as a training step runs them (no autodiff around them).
  const run = (name: string, inputs: Record<string, tf.Tensor>, extra: Record<string, unknown>) =>
    tf.engine().runKernel(name, inputs as never, { ...attrs, ...extra } as never) as tf.Tensor;
  const ops = {
    fwd: () => tf.conv2d(x, w, s, 'same'),
    dx: () => run('Conv2DBackpropInput', { dy, filter: w }, { inputShape: x.shape }),
    dw: () => run('Conv2DBackpropFilter', { x, dy }, { filterShape: w.shape }),
  };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < rounds + 1; r++)
    for (const path of [true, false])
      for (const [name, op] of Object.entries(ops)) {
        nativeSwitch.enabled = path;
        // The wasm backend runs kernels synchronously: no read-back needed to time them.
        const reps = 5;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) tf.tidy(() => void op());
        const ms = (performance.now() - t0) / reps;
        if (r > 0) (times[`${path}-${name}`] ??= []).push(ms);
      }
  nativeSwitch.enabled = true;
  const g = (key: string) => (flops / 1e6 / Math.max(1e-3, median(times[key]!))).toFixed(0);
  console.log(
    `| ${n}, ${hw}x${hw}, ${ci} -> ${co}, ${k}/${s} | ${g('true-fwd')} / ${g('true-dx')} / ${g('true-dw')} | ${g('false-fwd')} / ${g('false-dx')} / ${g('false-dw')} |`,
  );
  tf.dispose([x, w, y, dy]);
}
