import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsHeap } from '@hybridspike/core/internal/simd';
import { useBackend } from '@hybridspike/core/internal/testing';
import { neuronBackwardJs, neuronForwardJs, type NeuronDynamics } from '../dynamics.js';
import { neuronBackwardOnHeap, neuronForwardOnHeap } from './lif-heap.js';
import { atan, sigmoid, triangle } from '../surrogates.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function noise(seed: number, n: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * scale;
  });
}

const LIF: NeuronDynamics = {
  kind: 'lif',
  k: 0.5,
  decayInput: true,
  vThreshold: 1,
  vReset: 0,
  detachReset: false,
};
const SOFT_IF: NeuronDynamics = {
  kind: 'if',
  k: 1,
  decayInput: true,
  vThreshold: 0.7,
  vReset: null,
  detachReset: true,
};

describe('the neuron kernel in place on the tfjs-wasm heap', () => {
  beforeAll(() => useBackend('wasm'));

  it('is where training runs (the wasm backend)', () => {
    expect(tfjsHeap()).not.toBeNull();
  });

  for (const [name, d] of [
    ['LIF hard reset', LIF],
    ['IF soft reset, detached', SOFT_IF],
  ] as const)
    for (const returnState of [false, true])
      it(`${name}${returnState ? ', state as an output' : ''}: equals the JavaScript loops bit for bit`, () => {
        const [T, N] = [8, 1027];
        const xd = noise(11, T * N, 2.5);
        const v0d = noise(7, N, 0.5);
        const js = neuronForwardJs(d, xd, T, N, v0d);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const x = tf.tensor(xd, [T, N]);
          const v0 = tf.tensor(v0d, [N]);
          const r = neuronForwardOnHeap(d, x, T, v0, returnState)!;
          expect(r.spikeCount).toBe(js.spikeCount);
          expect(r.spikeCount).toBeGreaterThan(0);
          expect(r.nonFinite).toBe(0);
          expect(r.value.shape).toEqual(returnState ? [T + 1, N] : [T, N]);
          const v = r.value.dataSync();
          expect(bits(v.subarray(0, T * N))).toEqual(bits(js.spikes));
          if (returnState) expect(bits(v.subarray(T * N))).toEqual(bits(js.vLast));
          expect(bits(r.h.dataSync())).toEqual(bits(js.h));
          expect(bits(v0.dataSync())).toEqual(bits(v0d)); // the initial state is not written to
          for (const surrogate of [atan(), triangle(0.8)]) {
            const dyd = noise(3, (returnState ? T + 1 : T) * N, 1);
            const want = neuronBackwardJs({
              dynamics: d,
              surrogate,
              x: xd,
              h: js.h,
              spikes: js.spikes,
              T,
              N,
              v0: v0d,
              dSpikes: dyd.subarray(0, T * N),
              dVLast: returnState ? dyd.subarray(T * N) : null,
            });
            const dy = tf.tensor(dyd, r.value.shape);
            const b = neuronBackwardOnHeap(d, surrogate, { h: r.h, spikes: r.value, dy }, T, N, true)!;
            expect(bits(b.dx.dataSync())).toEqual(bits(want.dx));
            expect(bits(b.dv0!.dataSync())).toEqual(bits(want.dv0));
            expect(want.dx.some((g) => g !== 0)).toBe(true);
          }
        });
        expect(tf.memory().numTensors).toBe(before);
      });

  it('counts non-finite inputs, and leaves surrogates without a closed form to the caller', () => {
    tf.tidy(() => {
      const xd = noise(9, 4 * 7, 1);
      xd[1] = NaN;
      xd[26] = -Infinity;
      const r = neuronForwardOnHeap(LIF, tf.tensor(xd), 4, null, false)!;
      expect(r.nonFinite).toBe(2);
      const dy = tf.onesLike(r.value);
      expect(neuronBackwardOnHeap(LIF, sigmoid(), { h: r.h, spikes: r.value, dy }, 4, 7, false)).toBeNull();
    });
  });
});
