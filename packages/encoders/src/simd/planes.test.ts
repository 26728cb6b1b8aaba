import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectEmbeddedWasmFresh, useBackend } from '@hybridspike/core/internal/testing';
import { encodePlanesOnHeap, weightedTimeSumOnHeap } from './planes.js';

describe("bit planes and the decoders' time sum in SIMD on the wasm heap", () => {
  beforeAll(() => useBackend('wasm'));

  it('planes equal the JavaScript rule bit for bit, edge levels included', () => {
    const q = Float32Array.from({ length: 1027 }, (_, i) => ((i * 0.37) % 270) - 7);
    q.set([NaN, Infinity, -Infinity, -0.5, 0, 254.999, 255, 255.5, 1e9, -1e9], 0);
    const [bits, top] = [8, 255];
    const planeOf = Int32Array.from({ length: bits }, (_, t) => bits - 1 - t);
    const got = tf.tidy(() => encodePlanesOnHeap(tf.tensor(q), bits, top, planeOf)!.dataSync());
    const want = new Float32Array(bits * q.length);
    q.forEach((v, i) => {
      const level = Math.min(top, Math.max(0, Math.floor(v)));
      for (let t = 0; t < bits; t++) want[t * q.length + i] = (level >> planeOf[t]!) & 1;
    });
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(want.some((v) => v === 1)).toBe(true);
  });

  it('the weighted time sum is exact on spikes and float32 in step order otherwise', () => {
    const [T, m] = [8, 1031];
    const w = Array.from({ length: T }, (_, t) => 2 ** (T - 1 - t));
    const spikes = Float32Array.from({ length: T * m }, (_, i) => ((i * 2654435761) >>> 7) & 1);
    const got = tf.tidy(() => weightedTimeSumOnHeap(tf.tensor(spikes, [T, m]), w)!.dataSync());
    const exact = Float64Array.from({ length: m }, (_, i) =>
      w.reduce((a, wt, t) => a + wt * spikes[t * m + i]!, 0),
    );
    expect(Array.from(got)).toEqual(Array.from(exact));
    const x = Float32Array.from({ length: T * m }, (_, i) => Math.sin(i) * 3);
    const f = Math.fround;
    const want = Float32Array.from({ length: m }, (_, i) => {
      let acc = 0;
      for (let t = 0; t < T; t++) acc = f(acc + f(f(w[t]!) * x[t * m + i]!));
      return acc;
    });
    const got2 = tf.tidy(() => weightedTimeSumOnHeap(tf.tensor(x, [T, m]), w)!.dataSync());
    expect(Array.from(got2)).toEqual(Array.from(want));
  });

  it('src/simd/planes.generated.ts is what assembly/planes.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/encoders', 'planes');
  });
});
