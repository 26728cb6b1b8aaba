import { describe, expect, it } from 'vitest';
import { expectEmbeddedWasmFresh } from '@hybridspike/core/internal/testing';
import {
  neuronBackward,
  neuronBackwardJs,
  neuronForward,
  neuronForwardJs,
  type NeuronDynamics,
} from '../dynamics.js';
import { lifKernel } from './lif-copy.js';
import { atan, fastSigmoid, sigmoid, triangle } from '../surrogates.js';

/** Bits of a float array (so that -0 / +0 and NaN payloads count as differences). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A seeded stream in [-1, 1). */
function noise(seed: number, n: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * scale;
  });
}

const CASES: [string, NeuronDynamics][] = [
  [
    'LIF hard reset, decay input',
    { kind: 'lif', k: 0.5, decayInput: true, vThreshold: 1, vReset: 0, detachReset: false },
  ],
  [
    'LIF soft reset, detached',
    { kind: 'lif', k: 1 / 3, decayInput: false, vThreshold: 0.7, vReset: null, detachReset: true },
  ],
  [
    'IF hard reset to -0.2',
    { kind: 'if', k: 1, decayInput: true, vThreshold: 0.9, vReset: -0.2, detachReset: false },
  ],
];

describe('the SIMD WebAssembly neuron kernel', () => {
  it('is available here (Node 20 has WebAssembly SIMD)', () => {
    expect(lifKernel()).not.toBeNull();
  });

  for (const [name, d] of CASES)
    it(`${name}: forward and BPTT equal the JavaScript loops bit for bit`, () => {
      // N not a multiple of 4 (the scalar tails), T = 8, inputs that fire often.
      for (const [T, N] of [
        [8, 1027],
        [3, 2],
      ] as const) {
        const x = noise(1 + N, T * N, 2.5);
        const v0 = N > 2 ? noise(7, N, 0.5) : null;
        const js = neuronForwardJs(d, x, T, N, v0);
        const w = neuronForward(d, x, T, N, v0);
        expect(js.spikeCount).toBeGreaterThan(0);
        expect(w.spikeCount).toBe(js.spikeCount);
        expect(w.nonFinite).toBe(0);
        expect(bits(w.h)).toEqual(bits(js.h));
        expect(bits(w.spikes)).toEqual(bits(js.spikes));
        expect(bits(w.vLast)).toEqual(bits(js.vLast));
        for (const surrogate of [atan(), atan(3.5), fastSigmoid(10), triangle(0.8)]) {
          const input = {
            dynamics: d,
            surrogate,
            x,
            h: js.h,
            spikes: js.spikes,
            T,
            N,
            v0,
            dSpikes: noise(3, T * N, 1),
            dVLast: N > 2 ? noise(5, N, 1) : null,
          };
          const a = neuronBackwardJs(input);
          const b = neuronBackward(input);
          expect(bits(b.dx)).toEqual(bits(a.dx));
          expect(bits(b.dv0)).toEqual(bits(a.dv0));
          expect(a.dx.some((v) => v !== 0)).toBe(true);
        }
      }
    });

  it('counts NaN and infinite inputs (the neuron then names the first)', () => {
    const x = noise(9, 4 * 7, 1);
    x[1] = NaN; // a SIMD lane
    x[5] = NaN; // the scalar tail
    x[26] = -Infinity;
    x[9] = Infinity;
    expect(neuronForward(CASES[0]![1], x, 4, 7, null).nonFinite).toBe(4);
  });

  it('leaves PLIF (dL/dk) and surrogates without a closed form to the JavaScript loop', () => {
    const d = CASES[0]![1];
    const x = noise(2, 64, 2);
    const r = neuronForward(d, x, 4, 16, null);
    const input = {
      dynamics: d,
      surrogate: sigmoid(),
      x,
      h: r.h,
      spikes: r.spikes,
      T: 4,
      N: 16,
      v0: null,
      dSpikes: noise(4, 64, 1),
      dVLast: null,
    };
    expect(bits(neuronBackward(input).dx)).toEqual(bits(neuronBackwardJs(input).dx));
    const plif = { ...input, surrogate: atan(), needDk: true };
    const a = neuronBackward(plif);
    expect(a.dk).toBe(neuronBackwardJs(plif).dk);
    expect(a.dk).not.toBe(0);
  });

  it('src/simd/lif.generated.ts is what assembly/lif.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/neurons', 'lif');
  });
});
