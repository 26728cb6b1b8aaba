import * as tf from '@tensorflow/tfjs-core';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBitPlane, decodeRate } from './decoders.js';
import { BitPlaneEncoder } from './bitplane.js';
import { LatencyEncoder } from './latency.js';
import { RateEncoder } from './rate.js';
import { TemporalBitEncoder } from './temporal-bit.js';
import { registry } from '@hybridspike/core';
import './plugin.js';

for (const backend of TEST_BACKENDS) {
  describe(`other encoders on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    describe('RateEncoder', () => {
      it('fires at rate x01, reproducibly per seed, with a straight-through gradient', () => {
        const x = tf.tensor([0, 0.25, 0.5, 1], [1, 4]);
        const enc = new RateEncoder({ steps: 1000, seed: 9 });
        const s = enc.encode(x);
        const rates = decodeRate(s).dataSync();
        expect(rates[0]).toBe(0);
        expect(rates[3]).toBe(1);
        expect(Math.abs(rates[1]! - 0.25)).toBeLessThan(0.05);
        expect(Math.abs(rates[2]! - 0.5)).toBeLessThan(0.05);
        const again = new RateEncoder({ steps: 1000, seed: 9 }).encode(x);
        expect(Array.from(again.dataSync())).toEqual(Array.from(s.dataSync()));
        const w = tf.reshape(tf.range(1, 6), [5, 1, 1]);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(new RateEncoder({ steps: 5 }).encode(v), w)))(x);
        expect(Array.from(g.dataSync())).toEqual([15, 15, 15, 15]);
      });
    });

    describe('LatencyEncoder', () => {
      it('fires once at round((1 - x01)(T - 1)), not at all for zero unless asked', () => {
        const x = tf.tensor([1, 0.5, 0.2, 0]);
        const s = new LatencyEncoder({ steps: 5 }).encode(x).arraySync() as number[][];
        const when = [0, 1, 2, 3].map((i) => s.findIndex((p) => p[i] === 1));
        expect(when).toEqual([0, 2, 3, -1]);
        const z = new LatencyEncoder({ steps: 5, spikeOnZero: true }).encode(x).arraySync() as number[][];
        expect(z[4]![3]).toBe(1);
      });

      it('has the documented Gaussian-bump gradient', () => {
        const T = 6;
        const sigma = 0.7;
        const xs = [0.9, 0.33, 0.5];
        const w = Array.from({ length: T * 3 }, (_, i) => Math.sin(i + 1));
        const enc = new LatencyEncoder({ steps: T, sigma });
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(enc.encode(v), tf.tensor(w, [T, 3]))))(
          tf.tensor(xs),
        );
        const expected = xs.map((p, i) => {
          const tau = (1 - Math.fround(p)) * (T - 1);
          let acc = 0;
          for (let t = 0; t < T; t++)
            acc +=
              w[t * 3 + i]! * Math.exp(-((t - tau) ** 2) / (2 * sigma * sigma)) * ((t - tau) / sigma ** 2);
          return -(T - 1) * acc;
        });
        expect(maxRelDiff(g.dataSync(), expected)).toBeLessThan(1e-4);
      });
    });

    describe('TemporalBitEncoder', () => {
      it('concatenates exact bit planes and a latency code', () => {
        const x = tf.tensor([[0.2, 1, 0.6]]);
        const enc = new TemporalBitEncoder({ latencySteps: 4 });
        const s = enc.encode(x);
        expect(s.shape).toEqual([12, 1, 3]);
        const planes = tf.slice(s, [0, 0, 0], [8, 1, 3]);
        expect(Array.from(decodeBitPlane(planes).dataSync())).toEqual(
          [0.2, 1, 0.6].map((v) => Math.fround(Math.floor(Math.fround(v) * 255) / 255)),
        );
        expect(Array.from(tf.sum(tf.slice(s, [8, 0, 0], [4, 1, 3]), 0).dataSync())).toEqual([1, 1, 1]);
        // Gradient = the bit-plane part's surrogate gradient + the latency part's, each already
        // checked against its formula; a weighted upstream gradient tells the steps apart.
        const w = tf.tensor(
          Array.from({ length: 36 }, (_, i) => Math.sin(i + 1)),
          [12, 1, 3],
        );
        const xs = tf.tensor([[0.2, 0.9, 0.6]]);
        const g = tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(w, enc.encode(v))))(xs)
          .dataSync();
        const gPlanes = tf
          .grad((v: tf.Tensor) =>
            tf.sum(tf.mul(tf.slice(w, [0, 0, 0], [8, 1, 3]), new BitPlaneEncoder().encode(v))),
          )(xs)
          .dataSync();
        const gLatency = tf
          .grad((v: tf.Tensor) =>
            tf.sum(tf.mul(tf.slice(w, [8, 0, 0], [4, 1, 3]), new LatencyEncoder({ steps: 4 }).encode(v))),
          )(xs)
          .dataSync();
        const expected = Array.from(gPlanes, (a, i) => a + gLatency[i]!);
        expect(Array.from(gPlanes).some((v) => Math.abs(v) > 1e-3)).toBe(true);
        expect(Array.from(gLatency).some((v) => Math.abs(v) > 1e-4)).toBe(true);
        expect(maxRelDiff(g, expected)).toBeLessThan(1e-5);
      });
    });

    describe('registry', () => {
      it('builds every encoder and decoder by name and validates options', () => {
        expect(registry.names('encoder')).toEqual(['bitplane', 'latency', 'rate', 'temporal-bit']);
        const enc = registry.create('encoder', { name: 'bitplane', surrogate: 'sigsine', alpha: -8 });
        expect(enc.steps).toBe(8);
        expect(() => registry.create('encoder', { name: 'bitplane', surrogate: 'cosine' })).toThrow(
          /option 'surrogate'/,
        );
        expect(() => registry.create('encoder', 'poisson')).toThrow(
          /Registered encoders: bitplane, latency, rate, temporal-bit/,
        );
        expect(registry.create('decoder', 'rate').decode(tf.ones([3, 2])).shape).toEqual([2]);
      });
    });
  });
}
