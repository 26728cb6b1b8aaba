// GFLOP/s of conv2d forward, input gradient and filter gradient (NHWC float32) on wasm and cpu,
// our registered kernels beside the stock ones, and PyTorch when python3-torch is importable.
// Usage: pnpm --filter @hybridspike/core bench:kernels [--reps N]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { initRuntime, type BackendName } from '../src/index.js';
import { stockKernels } from '../src/kernels/register-kernels.js';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 10;
const CASES = [
  { name: '[32,32,32,16]->32 3x3 s1 same', x: [32, 32, 32, 16], co: 32, stride: 1 },
  { name: '[32,32,32,16]->32 3x3 s2 same', x: [32, 32, 32, 16], co: 32, stride: 2 },
] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => tf.Tensor, n: number): number {
  fn().dispose(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const y = fn();
    y.dataSync();
    ms.push(performance.now() - t0);
    y.dispose();
  }
  return median(ms);
}

const setUp = new Set<unknown>();
function runStock(
  name: string,
  backendName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): tf.Tensor {
  const k = stockKernels.get(`${name}/${backendName}`);
  if (!k) throw new Error('no stock kernel');
  const backend = tf.backend();
  // A replaced wasm kernel never had its setup run (the backend sets up registered kernels only).
  if (k.setupFunc && !setUp.has(k)) {
    k.setupFunc(backend);
    setUp.add(k);
  }
  const out = k.kernelFunc({ inputs: inputs as never, backend, attrs: attrs as never }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}

const rows: string[][] = [];
for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  await initRuntime({ backend });
  for (const c of CASES) {
    const x = tf.randomNormal(c.x as unknown as [number, number, number, number]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, c.x[3], c.co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.stride, 'same');
    const dy = tf.randomNormal(y.shape);
    const flops = 2 * y.size * 9 * c.x[3];
    const n = backend === 'cpu' ? Math.max(2, Math.floor(reps / 5)) : reps;
    const attrs = {
      strides: [c.stride, c.stride],
      pad: 'same',
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    };
    const fwd = time(() => tf.conv2d(x, w, c.stride, 'same'), n);
    const dxOurs = time(
      () =>
        tf.conv2dTranspose(
          dy as tf.Tensor4D,
          w,
          x.shape as [number, number, number, number],
          c.stride,
          'same',
        ),
      n,
    );
    const dwOurs = time(
      () => runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }),
      n,
    );
    const dxStock = stockKernels.has(`Conv2DBackpropInput/${tf.getBackend()}`)
      ? time(
          () =>
            runStock(
              'Conv2DBackpropInput',
              tf.getBackend(),
              { dy, filter: w },
              { ...attrs, inputShape: x.shape },
            ),
          n,
        )
      : NaN;
    const dwStock =
      stockKernels.has(`Conv2DBackpropFilter/${tf.getBackend()}`) && backend !== 'cpu'
        ? time(
            () =>
              runStock(
                'Conv2DBackpropFilter',
                tf.getBackend(),
                { x, dy },
                { ...attrs, filterShape: w.shape },
              ),
            1,
          )
        : NaN;
    const g = (ms: number) => (Number.isNaN(ms) ? 'n/a' : (flops / ms / 1e6).toFixed(2));
    rows.push([
      backend,
      c.name,
      g(fwd),
      g(dxOurs),
      g(dwOurs),
      g(dxStock),
      backend === 'cpu' ? 'skipped (~0.01)' : g(dwStock),
      ((fwd * 3) / (fwd + dxOurs + dwOurs)).toFixed(2),
    ]);
    tf.dispose([x, w, y, dy]);
  }
}

function runKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): tf.Tensor {
  return tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;
}

console.log('GFLOP/s (median of', reps, 'runs; higher is better)');
console.log(
  '| backend | case | fwd | dX (ours) | dW (ours) | dX (stock) | dW (stock) | fwd+bwd speed / 3x fwd |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

const py = spawnSync(
  existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
  [
    '-c',
    `
import time, torch
torch.set_num_threads(1)
for s in (1, 2):
    x = torch.randn(32, 16, 32, 32, requires_grad=True); w = torch.randn(32, 16, 3, 3, requires_grad=True)
    f = lambda: torch.nn.functional.conv2d(x, w, stride=s, padding=1)
    y = f(); flops = 2 * y.numel() * 9 * 16
    def t(fn, n=${reps}):
        fn(); ts = []
        for _ in range(n):
            a = time.perf_counter(); fn(); ts.append(time.perf_counter() - a)
        return sorted(ts)[len(ts)//2] * 1e3
    fwd = t(f)
    def fb():
        x.grad = None; w.grad = None; f().backward(torch.ones_like(y))
    both = t(fb)
    print(f"| torch {torch.__version__} 1 thread | stride {s} | fwd {flops/fwd/1e6:.2f} | fwd+bwd {3*flops/both/1e6:.2f} |")
`,
  ],
  { encoding: 'utf8' },
);
if (py.status === 0) console.log(py.stdout.trim());
else console.log('PyTorch: not importable here (apt-get install python3-torch to compare); skipped.');
