// Conv forward, input gradient and filter gradient of has8Vgg b16's spiking blocks (batch T*B =
// 256): our tfjs wasm kernels (what a training step runs) vs onnxruntime-node's CPU kernels (MLAS)
// on the same shapes, side by side in one process: what compiling training steps to ONNX would
// buy on convolutions. ONNX filter gradient: one Conv of x^T [Ci, N, H, W] with dy^T as the kernel.
// Usage: node --conditions=@hybridspike/source --import tsx packages/onnx/bench/conv-ops.ts [--threads 2]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { medianMs } from '@hybridspike/core/internal/testing';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, valueInfo } from '../src/graph-builder.js';
import { encodeModel } from '../src/proto.js';

const arg = (name: string, d: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : d;
const ortThreads = Number(arg('--threads', '2'));
const { backend, threads } = await initRuntime();

/** A one-purpose ONNX model: inputs and an output of the given shapes around `build`. */
async function session(
  inputs: [string, number[]][],
  output: [string, number[]],
  build: (g: GraphBuilder) => void,
): Promise<ort.InferenceSession> {
  const g = new GraphBuilder();
  for (const [n] of inputs) g.fresh(n);
  build(g);
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'bench',
      node: g.nodes,
      input: inputs.map(([n, s]) => valueInfo(n, s)),
      output: [valueInfo(output[0], output[1])],
    },
  });
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: ortThreads });
}

const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
console.log(
  `ours: tfjs ${backend} with ${threads} thread(s); onnxruntime-node ${ortThreads} intra-op threads; 3x3 convs, 'same' padding, median of 5 (ms)`,
);
console.log(
  '| shape (N, H=W, Ci -> Co) | fwd ours | fwd ort | input grad ours | input grad ort | filter grad ours | filter grad ort |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [N, H, Ci, Co] of [
  [256, 32, 1, 16],
  [256, 16, 16, 32],
  [256, 8, 32, 64],
  [256, 4, 64, 128],
] as [number, number, number, number][]) {
  const x = tf.tensor4d(rand(N * H * H * Ci), [N, H, H, Ci]);
  const w = tf.tensor4d(rand(9 * Ci * Co), [3, 3, Ci, Co]);
  const dy = tf.tensor4d(rand(N * H * H * Co), [N, H, H, Co]);
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
  const ours = {
    fwd: await medianMs(() => tf.tidy(() => void tf.conv2d(x, w, 1, 'same').dataSync()), 5),
    dx: await medianMs(
      () => tf.tidy(() => void tf.conv2dTranspose(dy, w, [N, H, H, Ci], 1, 'same').dataSync()),
      5,
    ),
    dw: await medianMs(
      () =>
        tf.tidy(
          () =>
            void (
              tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
                ...attrs,
                filterShape: [3, 3, Ci, Co],
              } as never) as tf.Tensor
            ).dataSync(),
        ),
      5,
    ),
  };
  const X = new ort.Tensor('float32', rand(N * Ci * H * H), [N, Ci, H, H]);
  const Wt = new ort.Tensor('float32', rand(Co * Ci * 9), [Co, Ci, 3, 3]);
  const DY = new ort.Tensor('float32', rand(N * Co * H * H), [N, Co, H, H]);
  const pads = [1, 1, 1, 1];
  const fwd = await session(
    [
      ['X', [N, Ci, H, H]],
      ['W', [Co, Ci, 3, 3]],
    ],
    ['Y', [N, Co, H, H]],
    (g) => g.op('Conv', ['X', 'W'], { pads, kernel_shape: [3, 3] }, 'Y'),
  );
  const dxs = await session(
    [
      ['DY', [N, Co, H, H]],
      ['W', [Co, Ci, 3, 3]],
    ],
    ['DX', [N, Ci, H, H]],
    (g) => g.op('ConvTranspose', ['DY', 'W'], { pads, kernel_shape: [3, 3] }, 'DX'),
  );
  const dws = await session(
    [
      ['X', [N, Ci, H, H]],
      ['DY', [N, Co, H, H]],
    ],
    ['DW', [Co, Ci, 3, 3]],
    (g) => {
      const xt = g.op('Transpose', ['X'], { perm: [1, 0, 2, 3] }, 'xt');
      const dyt = g.op('Transpose', ['DY'], { perm: [1, 0, 2, 3] }, 'dyt');
      const gw = g.op('Conv', [xt, dyt], { pads, kernel_shape: [H, H] }, 'gw');
      g.op('Transpose', [gw], { perm: [1, 0, 2, 3] }, 'DW');
    },
  );
  const onnx = {
    fwd: await medianMs(async () => void (await fwd.run({ X, W: Wt })), 5),
    dx: await medianMs(async () => void (await dxs.run({ DY, W: Wt })), 5),
    dw: await medianMs(async () => void (await dws.run({ X, DY })), 5),
  };
  const f = (v: number) => v.toFixed(1);
  console.log(
    `| ${N}, ${H}, ${Ci} -> ${Co} | ${f(ours.fwd)} | ${f(onnx.fwd)} | ${f(ours.dx)} | ${f(onnx.dx)} | ${f(ours.dw)} | ${f(onnx.dw)} |`,
  );
  tf.dispose([x, w, dy]);
}
