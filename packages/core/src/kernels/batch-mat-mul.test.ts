import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { maxRelDiff, useBackend } from '../testing.js';

describe('BatchMatMul with transposed operands on wasm', () => {
  for (const [ta, tb] of [
    [true, false],
    [false, true],
    [true, true],
    [false, false],
  ] as const) {
    for (const batch of [[], [3]]) {
      it(`matches cpu: transposeA ${ta}, transposeB ${tb}, batch [${batch}]`, async () => {
        const rng = new Rng(`${ta}${tb}${batch}`);
        const aShape = [...batch, ...(ta ? [5, 7] : [7, 5])];
        const bShape = [...batch, ...(tb ? [4, 5] : [5, 4])];
        const av = Float32Array.from({ length: aShape.reduce((x, y) => x * y, 1) }, () => rng.normal());
        const bv = Float32Array.from({ length: bShape.reduce((x, y) => x * y, 1) }, () => rng.normal());
        const run = () => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb).dataSync();
        await useBackend('cpu');
        const ref = run();
        await useBackend('wasm');
        const before = tf.memory().numTensors;
        const out = run();
        expect(maxRelDiff(out, ref)).toBeLessThan(1e-5);
        expect(tf.memory().numTensors).toBe(before + 3);
      });
    }
  }
});
