import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { expectEmbeddedWasmFresh, useBackend } from '../testing.js';
import { stockKernels } from './register-kernels.js';

/** dL/dx of `sum(avgPool(x) * w)` on the active backend. */
function poolGrad(
  xv: Float32Array,
  shape: number[],
  wv: Float32Array,
  k: number,
  s: number,
  pad: 'valid' | 'same',
) {
  const x = tf.tensor4d(xv, shape as [number, number, number, number]);
  const g = tf.grad((v: tf.Tensor) => {
    const y = tf.avgPool(v as tf.Tensor4D, k, s, pad);
    return tf.sum(tf.mul(y, tf.tensor(wv.subarray(0, y.size), y.shape)));
  })(x);
  const out = g.dataSync().slice();
  tf.dispose([x, g]);
  return out;
}

describe('AvgPoolGrad on wasm', () => {
  const rng = new Rng('avg-pool-grad');
  const shape = [2, 8, 6, 3];
  const xv = Float32Array.from({ length: 2 * 8 * 6 * 3 }, () => rng.normal());
  const wv = Float32Array.from({ length: 2 * 8 * 6 * 3 }, () => rng.normal());

  it('replaces the stock kernel, which it keeps', async () => {
    await useBackend('wasm');
    expect(stockKernels.has('AvgPoolGrad/wasm')).toBe(true);
  });

  it('non-overlapping 2x2 windows: equals the cpu backend bit for bit', async () => {
    await useBackend('cpu');
    const ref = poolGrad(xv, shape, wv, 2, 2, 'valid');
    await useBackend('wasm');
    const got = poolGrad(xv, shape, wv, 2, 2, 'valid');
    expect(Array.from(got)).toEqual(Array.from(ref));
    expect(got.some((v) => v !== 0)).toBe(true);
  });

  it('the SIMD pass (channels a multiple of 4): each pixel gets fround(dy * fround(1 / (k k)))', async () => {
    await useBackend('wasm');
    for (const [[b, h, w, c], k] of [
      [[3, 8, 6, 8], 2],
      [[2, 9, 6, 4], 3],
    ] as const) {
      const n = b * h * w * c;
      const x = Float32Array.from({ length: n }, () => rng.normal());
      const wv = Float32Array.from({ length: n }, () => rng.normal());
      const got = poolGrad(x, [b, h, w, c], wv, k, k, 'valid');
      // dL/dpool = w (its first ho * wo * c values, laid out [b, ho, wo, c]).
      const [ho, wo, f] = [h / k, w / k, Math.fround];
      const want = Float32Array.from({ length: n }, (_, i) => {
        const ch = i % c;
        const px = Math.floor(i / c) % w;
        const py = Math.floor(i / (c * w)) % h;
        const bb = Math.floor(i / (c * w * h));
        return f(wv[((bb * ho + Math.floor(py / k)) * wo + Math.floor(px / k)) * c + ch]! * f(1 / (k * k)));
      });
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('src/simd/avg-pool-grad.generated.ts is what assembly/avg-pool-grad.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/core', 'avg-pool-grad');
  });

  it('other windows (overlapping, padded, 3x3) still go to the stock kernel and agree with cpu', async () => {
    for (const [k, s, pad] of [
      [3, 1, 'same'],
      [3, 2, 'valid'],
      [2, 2, 'same'],
    ] as const) {
      await useBackend('cpu');
      const ref = poolGrad(xv, shape, wv, k, s, pad);
      await useBackend('wasm');
      const got = poolGrad(xv, shape, wv, k, s, pad);
      for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
    }
  });
});
