// Side by side: has8Vgg b16 (batch 32, 32x32, 1 and 3 channels) trained and run by our `fit` /
// forward and by a PyTorch re-implementation (bench/torch_has8vgg.py, Debian's python3-torch),
// interleaved in one process tree, each measurement in its own process (peak RSS of its own).
// Also times the exported ONNX model in onnxruntime-node (packages/onnx/bench/onnx.ts --worker).
// Prints train and inference images/s of each, peak RSS, the BLAS torch used (it refuses the
// reference BLAS: apt-get install libopenblas0-pthread), then issue 11's table of ratios and
// targets. Torch's side is skipped with a note when python3 or torch is missing.
// Ours runs on both compute paths (HYBRIDSPIKE_KERNELS=native: oneDNN, and =wasm) with a kernels
// column; the CPU model heads the output (ratios flip between machines).
// Usage: node --conditions=@hybridspike/source --import tsx packages/trainer/bench/compare-torch.ts [--rounds 2] [--channels 1,3] [--steps 6]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { has8Vgg } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Adam, fit } from '../src/index.js';
import { findTorchPython, TORCH_SCRIPT } from './torch-python.js';

/** The onnx package's inference bench, whose `--worker` mode times the exported model. */
const ONNX_BENCH = fileURLToPath(new URL('../../onnx/bench/onnx.ts', import.meta.url));

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const B = 32;
const SIZE = 32;

interface Measure {
  impl: string;
  channels: number;
  /** null where not measured (the exported model is inference only). */
  train_ips: number;
  infer_ips: number;
  peak_rss_mb: number;
  params: number;
  blas?: string[];
  backend?: string;
  threads?: number;
  kernels?: string;
  error?: string;
}

/** One measurement of ours, in this (child) process: `fit` over `steps` batches, then forward. */
async function measureOurs(channels: number, steps: number): Promise<Measure> {
  const { backend, threads, kernels } = await initRuntime();
  const per = SIZE * SIZE * channels;
  const make = (n: number): Dataset => ({
    name: 'bench',
    images: Uint8Array.from({ length: n * per }, (_, i) => (i * 2654435761) % 251),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
    count: n,
    height: SIZE,
    width: SIZE,
    channels,
    classes: 10,
  });
  const model = has8Vgg({ inChannels: channels, numClasses: 10, base: 16 });
  const optimizer = new Adam({ lr: 1e-3, weightDecay: 1e-3 });
  await fit(model, { train: make(B), epochs: 1, batchSize: B, optimizer, progress: 'quiet' }); // warm-up
  const r = await fit(model, {
    train: make(B * steps),
    epochs: 1,
    batchSize: B,
    optimizer,
    progress: 'quiet',
    seed: 1,
  });
  model.eval();
  const x = tf.randomUniform([B, SIZE, SIZE, channels], 0, 1, 'float32', 1);
  tf.tidy(() => void model.forward(x).dataSync());
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) tf.tidy(() => void model.forward(x).dataSync());
  const infer = (B * steps) / ((performance.now() - t0) / 1000);
  return {
    impl: `${kernels.startsWith('onednn') ? 'ours-native' : 'ours-wasm'}${threads > 1 ? '' : '-1t'}`,
    threads,
    kernels,
    channels,
    train_ips: r.history[0]!.imagesPerSecond,
    infer_ips: infer,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    params: model.parameterCount(),
    backend,
  };
}

function child(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Measure;
  } catch {
    return {
      impl: cmd,
      channels: 0,
      train_ips: NaN,
      infer_ips: NaN,
      peak_rss_mb: NaN,
      params: 0,
      error: `${r.error?.message ?? ''} ${r.stderr?.slice(-400) ?? ''}`.trim(),
    };
  }
}

if (process.argv.includes('--worker')) {
  console.log(JSON.stringify(await measureOurs(Number(arg('--channels', '1')), Number(arg('--steps', '6')))));
} else {
  const rounds = Number(arg('--rounds', '2'));
  const steps = arg('--steps', '6');
  const channels = arg('--channels', '1,3').split(',').map(Number);
  const self = fileURLToPath(import.meta.url);
  const python = findTorchPython();
  const torchOk = python !== undefined;
  if (!torchOk)
    console.log(
      'note: no python3 with torch found (Debian: apt-get install python3-torch libopenblas0-pthread; or set HYBRIDSPIKE_PYTHON); measuring ours only.',
    );
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? 'unknown CPU';
  const flags = /flags\s*:\s*(.*)/.exec(info)?.[1] ?? '';
  const isa = flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : 'no AVX2';
  console.log(`CPU: ${cpu} (${isa}), ${availableParallelism()} cores`);
  const rows: Measure[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const c of channels) {
      // Interleaved: ours on one thread, ours on every core (what `fit` picks), then torch.
      const ours = [
        process.execPath,
        [...process.execArgv, self, '--worker', '--channels', String(c), '--steps', steps],
      ] as const;
      const before = rows.length;
      const env = (kernels: string, threads?: string) => ({
        ...process.env,
        HYBRIDSPIKE_KERNELS: kernels,
        ...(threads ? { HYBRIDSPIKE_THREADS: threads } : {}),
      });
      rows.push(child(ours[0], [...ours[1]], env('native', '1')));
      rows.push(child(ours[0], [...ours[1]], env('native')));
      rows.push(child(ours[0], [...ours[1]], env('wasm')));
      // The exported model in onnxruntime-node (its default intra-op threads: every core).
      rows.push(
        child(process.execPath, [
          ...process.execArgv,
          ONNX_BENCH,
          '--worker',
          '--channels',
          String(c),
          '--steps',
          steps,
        ]),
      );
      if (python) rows.push(child(python, [TORCH_SCRIPT, '--channels', String(c), '--steps', steps]));
      for (const r of rows.slice(before)) if (r.error) console.log(`error (${r.impl}): ${r.error}`);
    }
  }
  const blas = rows.find((r) => r.impl === 'torch')?.blas;
  const native = rows.find((r) => r.impl === 'ours-native');
  console.log(
    `has8Vgg b16, batch ${B}, ${SIZE}x${SIZE}; ${rounds} interleaved rounds; ours on ${native?.backend ?? rows[0]?.backend} with ${native?.threads ?? 1} threads (-1t: HYBRIDSPIKE_THREADS=1); torch BLAS ${blas ? blas.join(', ') : 'n/a'}`,
  );
  if (!native)
    console.log('note: the native kernels did not start (ours-wasm only); see packages/native/README.md');
  console.log('| channels | impl | kernels | train img/s | inference img/s | peak RSS MB | params |');
  console.log('|---|---|---|---|---|---|---|');
  const fmt = (v: number | null, digits: number) =>
    typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
  for (const r of rows.filter((x) => !x.error))
    console.log(
      `| ${r.channels} | ${r.impl} | ${r.kernels ?? (r.impl === 'torch' ? 'torch' : 'onnxruntime')} | ${fmt(r.train_ips, 1)} | ${fmt(r.infer_ips, 1)} | ${fmt(r.peak_rss_mb, 0)} | ${r.params} |`,
    );
  if (torchOk) {
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const of = (impl: string, c: number, k: keyof Measure) =>
      med(rows.filter((r) => r.impl === impl && r.channels === c && !r.error).map((r) => r[k] as number));
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const per = (f: (c: number) => string) => channels.map(f).join(' / ');
    const best = native ? 'ours-native' : 'ours-wasm';
    console.log(
      `\nIssue 22's targets (medians of the rounds; ${channels.join(' / ')} channel(s); ours = ${best}):`,
    );
    console.log('| what | ours / torch | target |');
    console.log('|---|---|---|');
    for (const c of channels)
      console.log(
        `| train has8Vgg b16, ${c} channel(s) | ${ratio(of(best, c, 'train_ips'), of('torch', c, 'train_ips'))} (wasm path ${ratio(of('ours-wasm', c, 'train_ips'), of('torch', c, 'train_ips'))}) | >= 2x |`,
      );
    console.log(
      `| inference in the training runtime | ${per((c) => ratio(of(best, c, 'infer_ips'), of('torch', c, 'infer_ips')))} | >= 2x |`,
    );
    console.log(
      `| inference of the exported model in onnxruntime-node | ${per((c) => ratio(of('onnx', c, 'infer_ips'), of('torch', c, 'infer_ips')))} | >= 2x |`,
    );
    console.log(
      `| peak memory of a training step (RSS, ours / torch) | ${per((c) => (of(best, c, 'peak_rss_mb') / of('torch', c, 'peak_rss_mb')).toFixed(2))} | <= 1 |`,
    );
    if (native)
      console.log(
        `| native / wasm kernels, train; inference | ${per((c) => ratio(of('ours-native', c, 'train_ips'), of('ours-wasm', c, 'train_ips')))}; ${per((c) => ratio(of('ours-native', c, 'infer_ips'), of('ours-wasm', c, 'infer_ips')))} | |`,
      );
  }
}
