import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectEmbeddedWasmFresh, useBackend } from '@hybridspike/core/internal/testing';
import { makePlaneSurrogate, type BitPlaneSurrogate } from '../bitplane-surrogates.js';
import { planeAtStep } from '../bitplane.js';
import { planeSurrogateBackwardOnHeap } from './plane-surrogate.js';

/** The JavaScript loop the encoder runs off the heap. */
function reference(
  q: Float32Array,
  dy: Float32Array,
  bits: number,
  planeOf: Int32Array,
  f: ReturnType<typeof makePlaneSurrogate>,
) {
  const n = q.length;
  const g = new Float64Array(bits);
  return Float32Array.from(q, (qi, i) => {
    f(qi, g);
    let acc = 0;
    for (let t = 0; t < bits; t++) acc += g[planeOf[t]!]! * dy[t * n + i]!;
    return acc;
  });
}

function noise(seed: number, n: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s / 2 ** 32) * (hi - lo);
  });
}

describe('the bit-plane surrogate backward in SIMD on the wasm heap', () => {
  beforeAll(() => useBackend('wasm'));

  const cases: [BitPlaneSurrogate, number, boolean, 'msb' | 'lsb', number][] = [
    ['fourier', 5, true, 'msb', 8],
    ['fourier', 3, false, 'lsb', 8],
    ['sigsine', -10, true, 'msb', 8],
    ['sigsine', 4, false, 'msb', 4],
    ['tanhsine', -10, true, 'lsb', 8],
  ];
  for (const [surrogate, alpha, orderAware, order, bits] of cases)
    it(`${surrogate} (alpha ${alpha}, ${bits} bits, ${order}${orderAware ? ', order-aware' : ''}) equals the JavaScript loop`, () => {
      const L = 2 ** bits - 1;
      // Odd n (the one-lane tail); random levels, exact integers (theta on multiples of pi/2^k),
      // and values outside [0, L].
      const q = noise(5, 2001, -3, L + 3);
      for (let i = 0; i < 300; i++) q[i] = i % (L + 1);
      const n = q.length;
      const dy = noise(6, bits * n, -1, 1);
      const planeOf = Int32Array.from({ length: bits }, (_, t) => planeAtStep(t, bits, order));
      const want = reference(
        q,
        dy,
        bits,
        planeOf,
        makePlaneSurrogate(bits, surrogate, alpha, orderAware, 0.5),
      );
      const got = tf.tidy(() =>
        planeSurrogateBackwardOnHeap(tf.tensor(q), tf.tensor(dy, [bits, n]), {
          bits,
          surrogate,
          alpha,
          orderAware,
          fourierOffset: 0.5,
          planeOf,
        })!.dataSync(),
      );
      let same = 0;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        if (got[i] === want[i]) same++;
        worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1e-3, Math.abs(want[i]!)));
      }
      expect(worst).toBeLessThan(1e-6);
      expect(same / n).toBeGreaterThan(0.98);
      expect(want.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    });

  it('src/simd/plane-surrogate.generated.ts is what assembly/plane-surrogate.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/encoders', 'plane-surrogate');
  });
});
