// Where one training step of has8Vgg b16 (batch 32, 32x32) spends its time on our runtime:
// tfjs kernel time by category (tf.profile) and the rest of the step (our JS loops: LIF/IF BPTT,
// bit-plane encoder surrogate, decoders; and framework overhead), median over a few steps.
// Then the same step of the PyTorch re-implementation under torch.profiler (bench/torch_has8vgg.py
// --profile), when a python3 with torch is found (HYBRIDSPIKE_PYTHON, python3, /usr/bin/python3).
// Usage: node --conditions=@hybridspike/source --import tsx packages/trainer/bench/profile-step.ts [--channels 1] [--steps 3]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { spawnSync } from 'node:child_process';
import { has8Vgg } from '@hybridspike/blocks';
import { Adam, crossEntropy } from '../src/index.js';
import { findTorchPython, TORCH_SCRIPT } from './torch-python.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const C = Number(arg('--channels', '1'));
const steps = Number(arg('--steps', '3'));
const { backend, threads, kernels: kernelPath } = await initRuntime();
const B = 32;

/** Kernel name -> category of the issue's profile. */
function category(kernel: string): string {
  if (kernel === 'Conv2D' || kernel === 'FusedConv2D') return 'conv forward (and gradients composed of it)';
  if (kernel === 'Conv2DBackpropInput') return 'conv input grad';
  if (kernel === 'Conv2DBackpropFilter') return 'conv filter grad';
  if (/MatMul/.test(kernel)) return 'matmul (linear layers, fwd + bwd)';
  if (/Transpose|Reverse|Pad|Slice|Concat|Reshape|Tile|Pack|Unpack/.test(kernel))
    return 'layout (transpose/pad/slice/concat)';
  if (/Pool/.test(kernel)) return 'pooling';
  if (/Sum|Mean|Max|Min|Prod/.test(kernel)) return 'reductions (BatchNorm stats, losses, min-max)';
  return 'elementwise (BN apply, activations, optimizer, loss)';
}

const isKernel = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;

const model = has8Vgg({ inChannels: C, numClasses: 10, base: 16 });
const optimizer = new Adam({ lr: 1e-3, weightDecay: 1e-3 });
const params = model.parameters();
const vars = [...params.values()];
const names = new Map(vars.map((v, i) => [v.name, [...params.keys()][i]!]));
const x = tf.randomUniform([B, 32, 32, C], 0, 1, 'float32', 1);
const labels = Uint8Array.from({ length: B }, (_, i) => i % 10);
const step = () => {
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), labels) as tf.Scalar, vars);
  const g = new Map<string, tf.Tensor>();
  for (const [k, t] of Object.entries(grads)) g.set(names.get(k)!, t);
  optimizer.step(params, g);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step(); // warm-up
const runs: { wall: number; byCat: Map<string, number>; byKernel: Map<string, [number, number]> }[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const byCat = new Map<string, number>();
  const byKernel = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs) || 0;
    // tf.customGrad ops (our fused loops) appear as scopes whose time includes the kernels they
    // run: count only real kernels, so the rest of the step is what runs outside them.
    if (isKernel(k.name)) byCat.set(category(k.name), (byCat.get(category(k.name)) ?? 0) + ms);
    const [t, n] = byKernel.get(k.name) ?? [0, 0];
    byKernel.set(k.name, [t + ms, n + 1]);
  }
  runs.push({ wall, byCat, byKernel });
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = med(runs.map((r) => r.wall));
const cats = [...new Set(runs.flatMap((r) => [...r.byCat.keys()]))];
const rows = cats
  .map((c) => [c, med(runs.map((r) => r.byCat.get(c) ?? 0))] as const)
  .sort((a, b) => b[1] - a[1]);
const kernels = rows.reduce((a, [, ms]) => a + ms, 0);
console.log(
  `backend ${backend} (${threads} threads, kernels ${kernelPath}); has8Vgg b16, ${C} channel(s), batch ${B}; one training step (fwd + bwd + Adam), median of ${steps} under tf.profile (which adds overhead)`,
);
console.log('| category | ms | share |');
console.log('|---|---|---|');
for (const [c, ms] of rows) console.log(`| ${c} | ${ms.toFixed(1)} | ${((100 * ms) / wall).toFixed(1)}% |`);
console.log(
  `| outside tfjs kernels: JS loops (LIF/IF BPTT, encoder surrogate, decoders), tensor upload/download, framework | ${(wall - kernels).toFixed(1)} | ${((100 * (wall - kernels)) / wall).toFixed(1)}% |`,
);
console.log(`| whole step | ${wall.toFixed(1)} | 100% |`);
console.log(
  '(kernels that our conv gradients run inside them are counted under both; read those shares as rough)',
);
if (process.argv.includes('--shapes')) {
  const info = await tf.profile(step);
  const want = arg('--shapes', 'BatchMatMul');
  console.log(`\n${want} calls of one step (ms, input shapes):`);
  for (const k of info.kernels.filter((k) => k.name === want))
    console.log(
      `  ${(Number(k.kernelTimeMs) || 0).toFixed(2).padStart(7)} ms  ${JSON.stringify(k.inputShapes)}`,
    );
}
const last = runs[runs.length - 1]!.byKernel;
console.log('\ntop kernels of the last step (ms, calls):');
for (const [k, [ms, n]] of [...last].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15))
  console.log(
    `  ${(isKernel(k) ? k : `(${k}: a fused op, with what it runs)`).padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${String(n).padStart(5)} calls`,
  );

const python = findTorchPython();
if (python) {
  const r = spawnSync(python, [TORCH_SCRIPT, '--profile', '--channels', String(C)], { encoding: 'utf8' });
  console.log(`\n${r.stdout.trim() || r.stderr.slice(-1000)}`);
} else
  console.log(
    '\n(no python3 with torch: apt-get install python3-torch libopenblas0-pthread for its profile)',
  );
