import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@hybridspike/core';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BitPlaneEncoder } from './bitplane.js';
import { decodeBitPlane } from './decoders.js';

/** DESIGN.md 4.1 written out directly (no recurrences), as the independent reference. */
function referenceG(
  q: number,
  k: number,
  surrogate: string,
  alpha: number,
  orderAware: boolean,
  offset: number,
  bits = 8,
): number {
  const c = 2 ** k;
  let g: number;
  if (surrogate === 'fourier') {
    g = offset;
    for (let n = 1; n <= 2 * alpha - 1; n += 2) g -= (2 / c) * Math.cos((Math.PI * n * q) / c);
  } else {
    const u = alpha * Math.sin((Math.PI * q) / c);
    const du = ((alpha * Math.PI) / c) * Math.cos((Math.PI * q) / c);
    if (surrogate === 'sigsine') {
      const s = 1 / (1 + Math.exp(-u));
      g = s * (1 - s) * du;
    } else {
      const sech = 2 / (Math.exp(u) + Math.exp(-u));
      g = 0.5 * sech * sech * du;
    }
  }
  return orderAware ? (g * k) / 2 ** (bits - 1 - k) : g;
}

/** Expected dL/dx for L = sum(w * encode(x)), rescale 'tensor', by hand through the min-max. */
function referenceGrad(
  x: number[],
  w: Float32Array,
  o: { surrogate: string; alpha: number; orderAware: boolean; offset: number; order: 'msb' | 'lsb' },
): number[] {
  const n = x.length;
  const inRange = x.every((v) => v >= 0 && v <= 1);
  const m = Math.min(...x);
  const M = Math.max(...x);
  const R = inRange ? 1 : M - m;
  const f = Math.fround;
  // x01 as the float32 forward computes it; the gradient formula itself is evaluated in float64.
  const x01 = x.map((v) => (inRange ? v : f(f(v - m) / f(R))));
  const dx01 = x01.map((v, i) => {
    const q = Math.fround(Math.fround(v) * 255);
    let acc = 0;
    for (let t = 0; t < 8; t++) {
      const k = o.order === 'msb' ? 7 - t : t;
      acc += referenceG(q, k, o.surrogate, o.alpha, o.orderAware, o.offset) * w[t * n + i]!;
    }
    return 255 * acc;
  });
  if (inRange) return dx01;
  const S = dx01.reduce((a, b) => a + b, 0);
  const P = dx01.reduce((a, d, i) => a + (d * (x[i]! - m)) / (R * R), 0);
  const iMin = x.indexOf(m);
  const iMax = x.indexOf(M);
  return dx01.map((d, j) => d / R + (j === iMin ? -S / R + P : 0) + (j === iMax ? -P : 0));
}

for (const backend of TEST_BACKENDS) {
  describe(`BitPlaneEncoder on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    describe('forward', () => {
      it('emits the exact planes of hand-picked levels, MSB first', () => {
        const levels = [0, 1, 127, 128, 255];
        const s = new BitPlaneEncoder().encode(
          tf.tensor(
            levels.map((v) => v / 255),
            [5, 1],
          ),
        );
        expect(s.shape).toEqual([8, 5, 1]);
        const planes = s.arraySync() as number[][][];
        const byValue = levels.map((_, i) => planes.map((p) => p[i]![0]).join(''));
        expect(byValue).toEqual(['00000000', '00000001', '01111111', '10000000', '11111111']);
      });

      it('reproduces every level 0..255 in both orders', () => {
        const levels = Array.from({ length: 256 }, (_, v) => v);
        const x = tf.tensor(
          levels.map((v) => v / 255),
          [256],
        );
        for (const order of ['msb', 'lsb'] as const) {
          const s = new BitPlaneEncoder({ order }).encode(x).arraySync() as number[][];
          for (const v of levels) {
            const bits = s.map((p) => p[v]).join('');
            const expected = v.toString(2).padStart(8, '0');
            expect(bits).toBe(order === 'msb' ? expected : [...expected].reverse().join(''));
          }
        }
      });

      it('decodes back to floor(x01 * 255) / 255 bit for bit, any rank, with min-max rescale', () => {
        const rng = new Rng(5);
        for (const shape of [[7], [3, 5], [2, 3, 4, 2]]) {
          const n = shape.reduce((a, b) => a * b, 1);
          const raw = Float32Array.from({ length: n }, () => rng.normal() * 3);
          const x = tf.tensor(raw, shape);
          const out = decodeBitPlane(new BitPlaneEncoder().encode(x)).dataSync();
          const mn = tf.min(x);
          const x01 = tf.div(tf.sub(x, mn), tf.sub(tf.max(x), mn)).dataSync();
          const expected = Float32Array.from(x01, (v) => Math.floor(Math.fround(v * 255)) / 255);
          expect(Array.from(out)).toEqual(Array.from(expected));
        }
      });

      it('supports other bit depths and per-sample rescale', () => {
        const enc = new BitPlaneEncoder({ bits: 4, rescale: 'sample' });
        const x = tf.tensor([
          [0, 5, 10],
          [-1, 0, 1],
          [3, 3, 3],
        ]);
        const s = enc.encode(x);
        expect(s.shape).toEqual([4, 3, 3]);
        const dec = decodeBitPlane(s, { bits: 4 }).arraySync();
        const f = Math.fround(7 / 15);
        expect(dec).toEqual([
          [0, f, 1],
          [0, f, 1],
          [1, 1, 1],
        ]);
      });
    });

    describe('backward', () => {
      const configs = [
        { surrogate: 'fourier', alpha: 5, orderAware: true, offset: 0.5 },
        { surrogate: 'fourier', alpha: 3, orderAware: false, offset: 0 },
        { surrogate: 'sigsine', alpha: -10, orderAware: true, offset: 0.5 },
        { surrogate: 'tanhsine', alpha: -10, orderAware: true, offset: 0.5 },
        { surrogate: 'tanhsine', alpha: -4, orderAware: false, offset: 0.5 },
      ] as const;
      for (const c of configs) {
        for (const order of ['msb', 'lsb'] as const) {
          for (const grid of ['on-grid', 'off-grid', 'rescaled']) {
            it(`matches the DESIGN.md formula: ${c.surrogate} alpha ${c.alpha} orderAware ${c.orderAware} offset ${c.offset}, ${order}, ${grid}`, () => {
              const rng = new Rng(`${c.surrogate}${grid}${order}`);
              const n = 24;
              const x =
                grid === 'on-grid'
                  ? Array.from({ length: n }, () => rng.int(256) / 255)
                  : grid === 'off-grid'
                    ? Array.from({ length: n }, () => rng.uniform())
                    : Array.from({ length: n }, () => rng.normal() * 4 + 1);
              const xs = x.map((v) => Math.fround(v));
              const w = Float32Array.from({ length: 8 * n }, () => rng.normal());
              const enc = new BitPlaneEncoder({
                surrogate: c.surrogate,
                alpha: c.alpha,
                orderAware: c.orderAware,
                fourierOffset: c.offset,
                order,
              });
              const wT = tf.tensor(w, [8, 4, 6]);
              const g = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(enc.encode(xt), wT)))(tf.tensor(xs, [4, 6]));
              const expected = referenceGrad(xs, w, { ...c, order });
              expect(maxRelDiff(g.dataSync(), expected)).toBeLessThan(2e-4);
              expect(g.dataSync().some((v) => v !== 0)).toBe(true);
            });
          }
        }
      }

      it('gives plane 0 no gradient with order-aware scaling', () => {
        const enc = new BitPlaneEncoder({ orderAware: true, order: 'lsb' });
        const w = tf.tensor([1, 0, 0, 0, 0, 0, 0, 0], [8, 1]);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(enc.encode(x), w)))(tf.tensor([0.3]));
        expect(g.dataSync()[0]).toBe(0);
      });
    });

    describe('errors', () => {
      it('rejects NaN, Inf, empty tensors and bad options with a clear message', () => {
        const enc = new BitPlaneEncoder();
        expect(() => enc.encode(tf.tensor([0.1, NaN]))).toThrow(/NaN at flat index 1/);
        expect(() => enc.encode(tf.tensor([Infinity]))).toThrow(/Infinity/);
        expect(() => enc.encode(tf.tensor([], [0, 3]))).toThrow(/is empty/);
        expect(() => enc.encode([1, 2] as unknown as tf.Tensor)).toThrow(/must be a tf.Tensor/);
        expect(() => new BitPlaneEncoder({ bits: 0 })).toThrow(/option 'bits'/);
        expect(() => new BitPlaneEncoder({ bits: 2.5 })).toThrow(/option 'bits'/);
        expect(() => new BitPlaneEncoder({ surrogate: 'fourier', alpha: 2.5 })).toThrow(/integer >= 1/);
        expect(() => new BitPlaneEncoder({ surogate: 'x' } as never)).toThrow(/surogate/);
        expect(() => new BitPlaneEncoder({ rescale: 'none' }).encode(tf.tensor([2]))).toThrow(
          /rescale 'none' needs inputs in \[0, 1\]/,
        );
        expect(() => decodeBitPlane(tf.zeros([4, 2]))).toThrow(/T = bits = 8/);
      });
    });
  });
}
