import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { expectEmbeddedWasmFresh } from '../testing.js';
import { columnSums, columnSumsJs } from './column-sums.js';

describe('columnSums (SIMD WebAssembly)', () => {
  it('equals the JavaScript loop bit for bit, even and odd column counts, and a hand case', () => {
    const rng = new Rng('colsum');
    for (const [m, c] of [
      [1000, 16],
      [333, 7],
      [5, 2],
    ] as const) {
      const x = Float32Array.from({ length: m * c + 3 }, () => rng.normal() * 100);
      expect(Array.from(columnSums(x, m, c))).toEqual(Array.from(columnSumsJs(x, m, c)));
    }
    expect(Array.from(columnSums(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2))).toEqual([9, 12]);
  });

  it('src/simd/colsum.generated.ts is what assembly/colsum.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/core', 'colsum');
  });
});
