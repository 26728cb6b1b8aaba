import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { stockKernels } from './register-kernels.js';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '../testing.js';
import { Rng } from '../rng.js';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: number;
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 7, 9, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' },
  { x: [2, 7, 9, 3], k: [3, 3], co: 4, stride: 2, pad: 'same' },
  { x: [3, 8, 8, 2], k: [3, 3], co: 5, stride: 2, pad: 'same' },
  { x: [2, 9, 7, 3], k: [3, 2], co: 2, stride: 1, pad: 'valid' },
  { x: [2, 10, 11, 3], k: [3, 3], co: 4, stride: 2, pad: 'valid' },
  { x: [1, 13, 13, 3], k: [7, 7], co: 4, stride: 2, pad: 3 },
  {
    x: [2, 6, 5, 2],
    k: [3, 3],
    co: 3,
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 5, 5, 4], k: [1, 1], co: 6, stride: 2, pad: 'valid' },
  { x: [2, 11, 9, 3], k: [5, 5], co: 4, stride: 3, pad: 2 },
  { x: [1, 10, 7, 2], k: [3, 3], co: 3, stride: 3, pad: 'same' },
  { x: [2, 9, 9, 2], k: [2, 2], co: 3, stride: 2, pad: 'valid' },
  // First layers (few input taps, Co a multiple of 4): the SIMD filter gradient on wasm.
  { x: [4, 12, 10, 1], k: [3, 3], co: 16, stride: 1, pad: 'same' },
  { x: [3, 11, 9, 1], k: [3, 3], co: 8, stride: 2, pad: 'valid' },
  // 16-channel register blocks plus a 4-channel tail; stride 2 with 'same' padding.
  { x: [2, 9, 8, 3], k: [3, 3], co: 20, stride: 2, pad: 'same' },
  { x: [2, 10, 10, 3], k: [3, 3], co: 12, stride: 2, pad: 'same' },
];

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

/** The stock cpu kernel, run directly: the reference every fast kernel is held to. */
function stockCpu(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): Float32Array {
  // Replaced kernels are kept in stockKernels; the ones we leave alone are still registered.
  const kernel = stockKernels.get(`${name}/cpu`) ?? tf.getKernel(name, 'cpu')!;
  const backend = tf.findBackend('cpu')!;
  const cpuInputs = Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => [
      k,
      { dataId: backend.write(t.dataSync(), t.shape, 'float32'), shape: t.shape, dtype: 'float32' },
    ]),
  );
  const out = kernel.kernelFunc({
    inputs: cpuInputs as never,
    backend,
    attrs: attrs as never,
  }) as tf.TensorInfo;
  const data = backend.readSync(out.dataId) as Float32Array;
  backend.disposeData(out.dataId);
  for (const i of Object.values(cpuInputs)) backend.disposeData(i.dataId);
  return data;
}

for (const backendName of TEST_BACKENDS) {
  describe(`conv2d gradient kernels on ${backendName}`, () => {
    beforeAll(() => useBackend(backendName));

    for (const c of CASES) {
      const label = `x ${c.x.join('x')} k ${c.k.join('x')} -> ${c.co}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}`;
      it(`matches the stock cpu kernels: ${label}`, () => {
        const rng = new Rng(7);
        const x = randomTensor(rng, c.x);
        const w = randomTensor(rng, [c.k[0], c.k[1], c.x[3], c.co]);
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
        const dy = randomTensor(rng, y.shape);
        const attrs = {
          strides: [c.stride, c.stride],
          pad: c.pad,
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
        };
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad),
        )([x, w], dy);
        const refDw = stockCpu('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape });
        const refDx = stockCpu('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape });
        expect(dw!.shape).toEqual(w.shape);
        expect(dx!.shape).toEqual(x.shape);
        expect(maxRelDiff(dw!.dataSync(), refDw)).toBeLessThan(1e-4);
        expect(maxRelDiff(dx!.dataSync(), refDx)).toBeLessThan(1e-4);
        tf.dispose([x, w, y, dy, dx!, dw!]);
      });
    }

    it('does not leak tensors', () => {
      const x = tf.ones([2, 8, 8, 3]);
      const w = tf.ones([3, 3, 3, 4]);
      const before = tf.memory().numTensors;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
      )([x, w]);
      tf.dispose(g);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
    });
  });
}
