import * as tf from '@tensorflow/tfjs-core';
import { registry, Rng } from '@hybridspike/core';
import { maxRelDiff, TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { IF, LIF, PLIF, type SpikingNeuron } from './neuron.js';
import { unfusedNeuron } from './reference.js';
import { atan, fastSigmoid, sigmoid, triangle, type Surrogate } from './surrogates.js';
import './plugin.js';

const spikesOf = (n: SpikingNeuron, xs: number[]) =>
  Array.from(n.forward(tf.tensor(xs, [xs.length, 1])).dataSync());

function randn(rng: Rng, shape: number[], scale = 1, shift = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale + shift),
    shape,
  );
}

for (const backend of TEST_BACKENDS) {
  describe(`neurons on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    describe('forward against hand-computed sequences', () => {
      it('LIF, tau 2, constant 1.5: h = 0.75, 1.125 (spike), then again; hard and soft reset', () => {
        expect(spikesOf(new LIF(), [1.5, 1.5, 1.5, 1.5, 1.5, 1.5])).toEqual([0, 1, 0, 1, 0, 1]);
        // soft: v = 0.75, 0.125, 0.8125, 0.15625, 0.828125 -> h = 1.1640625 at t = 5
        expect(spikesOf(new LIF({ vReset: null }), [1.5, 1.5, 1.5, 1.5, 1.5, 1.5])).toEqual([
          0, 1, 0, 1, 0, 1,
        ]);
        // soft reset keeps the excess: 1.25 twice -> h = 0.625, 0.9375, then 1.09375 spikes, v = 0.09375
        expect(spikesOf(new LIF({ vReset: null }), [1.25, 1.25, 1.25, 1.25])).toEqual([0, 0, 1, 0]);
        expect(spikesOf(new LIF(), [1.25, 1.25, 1.25, 1.25])).toEqual([0, 0, 1, 0]);
      });

      it('fires at exactly the threshold (H(0) = 1)', () => {
        expect(spikesOf(new LIF(), [2, 2, 2])).toEqual([1, 1, 1]); // h = 1.0 each step
        expect(spikesOf(new IF(), [0.25, 0.25, 0.25, 0.25, 0.25])).toEqual([0, 0, 0, 1, 0]);
        expect(spikesOf(new IF({ vThreshold: 0.5, vReset: null }), [0.25, 0.5, 0.25])).toEqual([0, 1, 1]);
      });

      it('supports decayInput false, other thresholds and reset values', () => {
        // h = v - (v - 0.5)/2 + x from v = 0.5: 0.5 + 0.6 = 1.1 -> spike, v = 0.5 again
        expect(spikesOf(new LIF({ decayInput: false, vReset: 0.5 }), [0.6, 0.3, 0.6])).toEqual([1, 0, 1]);
      });

      it('reports the firing rate of the last forward', () => {
        const n = new LIF();
        n.forward(tf.tensor([1.5, 1.5, 1.5, 1.5], [4, 1]));
        expect(n.lastFiringRate).toBe(0.5);
        expect(n.lastSpikeCount).toBe(2);
      });

      it('starts every multi-step forward from the reset state (no leak between batches)', () => {
        const n = new LIF();
        const x = tf.tensor([1.5, 1.5, 1.5], [3, 1]);
        expect(Array.from(n.forward(x).dataSync())).toEqual(Array.from(n.forward(x).dataSync()));
      });
    });

    describe('backward: fused op against the unfused autodiff reference', () => {
      const surrogates: Surrogate[] = [atan(2), sigmoid(4), fastSigmoid(25), triangle(1)];
      for (const s of surrogates) {
        for (const vReset of [0, null] as const) {
          for (const detachReset of [false, true]) {
            for (const Kind of [LIF, IF]) {
              it(`${Kind.name} ${s.name} ${vReset === null ? 'soft' : 'hard'} reset detachReset ${detachReset}`, () => {
                const rng = new Rng(`${s.name}${vReset}${detachReset}${Kind.name}`);
                const shape = [5, 2, 3, 4, 4];
                const x = randn(rng, shape, 0.8, 0.6);
                const w = randn(rng, shape);
                const n = new Kind({ surrogate: s, vReset, detachReset });
                const loss = (f: (v: tf.Tensor) => tf.Tensor) => (v: tf.Tensor) => tf.sum(tf.mul(f(v), w));
                const fused = tf.grad(loss((v) => n.forward(v)))(x);
                const ref = tf.grad(loss((v) => unfusedNeuron(v, n.dynamics(), s)))(x);
                expect(Array.from(n.forward(x).dataSync())).toEqual(
                  Array.from(unfusedNeuron(x, n.dynamics(), s).dataSync()),
                );
                expect(maxRelDiff(fused.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
                expect(n.lastFiringRate).toBeGreaterThan(0.05);
                expect(fused.dataSync().some((v) => v !== 0)).toBe(true);
              });
            }
          }
        }
      }

      it('PLIF: gradients of x and w match the reference with k = sigmoid(w) as a tensor', () => {
        const rng = new Rng(11);
        const x = randn(rng, [6, 3, 5], 0.8, 0.7);
        const wts = randn(rng, [6, 3, 5]);
        const n = new PLIF({ tau: 3 });
        expect(n.tau).toBeCloseTo(3, 5);
        const f = (fwd: (v: tf.Tensor) => tf.Tensor) => (): tf.Scalar => tf.sum(tf.mul(fwd(x), wts));
        const { grads: gf } = tf.variableGrads(
          f((v) => n.forward(v)),
          [n.w],
        );
        const { grads: gr } = tf.variableGrads(
          f((v) => unfusedNeuron(v, n.dynamics(), n.surrogate, tf.sigmoid(n.w))),
          [n.w],
        );
        const key = Object.keys(gf)[0]!;
        expect(maxRelDiff(gf[key]!.dataSync(), gr[key]!.dataSync())).toBeLessThan(1e-5);
        expect(Math.abs(gf[key]!.dataSync()[0]!)).toBeGreaterThan(0);
        const dxF = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(n.forward(v), wts)))(x);
        const dxR = tf.grad((v: tf.Tensor) =>
          tf.sum(tf.mul(unfusedNeuron(v, n.dynamics(), n.surrogate, tf.sigmoid(n.w)), wts)),
        )(x);
        expect(maxRelDiff(dxF.dataSync(), dxR.dataSync())).toBeLessThan(1e-5);
      });

      it('PLIF: dL/dw of a smooth membrane loss matches a finite difference', () => {
        const rng = new Rng(12);
        const xs = Array.from({ length: 6 }, () => randn(rng, [4], 0.15, 0.3)); // stays below threshold
        // detachReset: without spikes v_T is then exactly smooth in w (the reset path's surrogate
        // term would otherwise add a gradient the true function does not have).
        const n = new PLIF({ detachReset: true });
        const membraneLoss = (): tf.Scalar => {
          n.resetState();
          for (const x of xs) n.step(x);
          return tf.sum(tf.square(n.state!));
        };
        const { value, grads } = tf.variableGrads(membraneLoss, [n.w]);
        expect(n.lastSpikeCount).toBe(0);
        const analytic = Object.values(grads)[0]!.dataSync()[0]!;
        const w0 = n.w.dataSync()[0]!;
        const eps = 1e-2;
        n.w.assign(tf.scalar(w0 + eps));
        const up = membraneLoss().dataSync()[0]!;
        n.w.assign(tf.scalar(w0 - eps));
        const down = membraneLoss().dataSync()[0]!;
        n.w.assign(tf.scalar(w0));
        expect(value.dataSync()[0]).toBeGreaterThan(0);
        expect(Math.abs(analytic - (up - down) / (2 * eps))).toBeLessThan(
          1e-3 * Math.max(1, Math.abs(analytic)),
        );
      });
    });

    describe('single-step API', () => {
      it('keeps state between steps, equals the multi-step forward and its gradient', () => {
        const rng = new Rng(3);
        const x = randn(rng, [4, 2, 3], 0.8, 0.7);
        const w = randn(rng, [4, 2, 3]);
        const n = new LIF();
        const multi = n.forward(x);
        const stepLoss = (v: tf.Tensor) => {
          n.resetState();
          const out = tf.unstack(v, 0).map((xt) => n.step(xt));
          return tf.sum(tf.mul(tf.stack(out, 0), w));
        };
        n.resetState();
        const stepped = tf.stack(
          tf.unstack(x, 0).map((xt) => n.step(xt)),
          0,
        );
        expect(Array.from(stepped.dataSync())).toEqual(Array.from(multi.dataSync()));
        const gStep = tf.grad(stepLoss)(x);
        const gMulti = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(n.forward(v), w)))(x);
        expect(maxRelDiff(gStep.dataSync(), gMulti.dataSync())).toBeLessThan(1e-5);
        n.resetState();
        expect(n.state).toBeNull();
      });
    });

    describe('errors and registry', () => {
      it('rejects rank < 2, NaN, and a state of another shape', () => {
        const n = new LIF();
        expect(() => n.forward(tf.tensor([1, 2]))).toThrow(/rank >= 2/);
        expect(() => n.forward(tf.tensor([[1], [NaN]]))).toThrow(/NaN at flat index 1/);
        n.step(tf.zeros([2, 3]));
        expect(() => n.step(tf.zeros([4, 3]))).toThrow(/call resetState\(\)/);
        expect(() => new LIF({ tau: 0.5 })).toThrow(/option 'tau'/);
        expect(() => new LIF({ surrogate: 'nope' })).toThrow(
          /Registered surrogates: atan, fastSigmoid, sigmoid, triangle/,
        );
      });

      it('builds neurons and surrogates by name; a custom surrogate registers and is used', () => {
        const lif = registry.create('neuron', {
          name: 'lif',
          tau: 4,
          surrogate: { name: 'sigmoid', alpha: 2 },
        });
        expect(lif.surrogate.params).toEqual({ alpha: 2 });
        registry.register({
          kind: 'surrogate',
          name: 'box-test',
          options: z.object({ half: z.number().default(0.5) }),
          create: (o) => ({
            name: 'box-test',
            params: o,
            grad: (v: number) => (Math.abs(v) <= o.half ? 1 : 0),
          }),
        });
        try {
          const n = new LIF({ surrogate: 'box-test' });
          // h = 0.6: h - 1 = -0.4 is inside the box, so the gradient is 1 * dh/dx = 0.5
          const g = tf.grad((v: tf.Tensor) => tf.sum(n.forward(v)))(tf.tensor([[1.2]]));
          expect(Array.from(g.dataSync())).toEqual([0.5]);
        } finally {
          registry.unregister('surrogate', 'box-test');
        }
      });
    });
  });
}
