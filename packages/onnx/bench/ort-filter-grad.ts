// The conv filter gradient as onnxruntime-node would run it inside a training step: our kernel
// (tfjs wasm, what a step runs) vs one ONNX graph (Transpose x and dy from NHWC, one Conv of x^T
// with dy^T as the kernel, Transpose back) run synchronously through onnxruntime-node's native
// binding (the public `run` is async; a tfjs kernel cannot wait), copies in and out included.
// Measured on has8Vgg's spiking-block shapes (batch T*B = 256; 1- and 3-channel widths).
// Usage: node --conditions=@hybridspike/source --import tsx packages/onnx/bench/ort-filter-grad.ts [--spin]
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, peekFloats } from '@hybridspike/core';
import { maxRelDiff, medianMs } from '@hybridspike/core/internal/testing';
import * as ort from 'onnxruntime-node';
import { createRequire } from 'node:module';
import { GraphBuilder, valueInfo } from '../src/graph-builder.js';
import { encodeModel } from '../src/proto.js';

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, ort.Tensor>;
}
const require = createRequire(import.meta.url);
// onnxruntime-node 1.30's own binding (dist/binding.js): the synchronous run its async API wraps.
const { binding, initOrt } = require('onnxruntime-node/dist/binding') as {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
};
initOrt();
const { backend, threads } = await initRuntime();
// ORT's intra-op threads spin-wait by default; beside XNNPACK's (which spin too) that cost a
// training step ~30% here, so the sessions sleep instead unless --spin.
const spin = process.argv.includes('--spin') ? '1' : '0';

function filterGradSession(N: number, H: number, Ci: number, Co: number): NativeSession {
  const g = new GraphBuilder();
  g.fresh('X');
  g.fresh('DY');
  const xt = g.op('Transpose', ['X'], { perm: [3, 0, 1, 2] }, 'xt');
  const dyt = g.op('Transpose', ['DY'], { perm: [3, 0, 1, 2] }, 'dyt');
  const gw = g.op('Conv', [xt, dyt], { pads: [1, 1, 1, 1], kernel_shape: [H, H] }, 'gw');
  g.op('Transpose', [gw], { perm: [2, 3, 0, 1] }, 'DW');
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'filter_grad',
      node: g.nodes,
      input: [valueInfo('X', [N, H, H, Ci]), valueInfo('DY', [N, H, H, Co])],
      output: [valueInfo('DW', [3, 3, Ci, Co])],
    },
  });
  const s = new binding.InferenceSession();
  s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: threads,
    executionProviders: ['cpu'],
    extra: { session: { intra_op: { allow_spinning: spin } } },
  });
  return s;
}

console.log(
  `ours: tfjs ${backend}, ${threads} thread(s); onnxruntime-node ${threads} intra-op threads (spinning ${spin === '1' ? 'on' : 'off'}); 3x3 'same', median of 5 (ms)`,
);
console.log('| x (N, H=W, Ci) -> Co | ours | onnxruntime | ratio | max rel diff |');
console.log('|---|---|---|---|---|');
for (const [N, H, Ci, Co] of [
  [256, 16, 16, 32],
  [256, 8, 32, 64],
  [256, 4, 64, 128],
  [256, 2, 128, 256],
  [256, 16, 48, 96],
  [256, 2, 384, 768],
] as [number, number, number, number][]) {
  const x = tf.randomNormal([N, H, H, Ci], 0, 1, 'float32', 1);
  const dy = tf.randomNormal([N, H, H, Co], 0, 1, 'float32', 2);
  const s = filterGradSession(N, H, Ci, Co);
  const ours = () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      filterShape: [3, 3, Ci, Co],
    } as never) as tf.Tensor;
  const viaOrt = () => {
    const feeds = {
      X: new ort.Tensor('float32', Float32Array.from(peekFloats(x)), [N, H, H, Ci]),
      DY: new ort.Tensor('float32', Float32Array.from(peekFloats(dy)), [N, H, H, Co]),
    };
    return tf.tensor(s.run(feeds, { DW: null }, {}).DW!.data as Float32Array, [3, 3, Ci, Co]);
  };
  const diff = tf.tidy(() => maxRelDiff(viaOrt().dataSync(), ours().dataSync()));
  const a = await medianMs(() => tf.tidy(() => void ours().dataSync()), 5);
  const b = await medianMs(() => tf.tidy(() => void viaOrt().dataSync()), 5);
  console.log(
    `| ${N}, ${H}, ${Ci} -> ${Co} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x | ${diff.toExponential(1)} |`,
  );
  tf.dispose([x, dy]);
}
