import { COLSUM_WASM } from './colsum.generated.js';
import { loadSimdModule, simdLayout, type SimdExports } from './load.js';

interface ColsumExports extends SimdExports {
  colsum(x: number, out: number, m: number, c: number): void;
}

/**
 * Sums of the columns of a row-major `[m, c]` float32 matrix, accumulated in float64 row after
 * row (SIMD WebAssembly, else the same loop in JavaScript: identical sums), rounded to float32.
 */
export function columnSums(x: Float32Array, m: number, c: number): Float32Array {
  const mod = loadSimdModule<ColsumExports>(COLSUM_WASM);
  if (!mod) return columnSumsJs(x, m, c);
  const [px, po] = simdLayout(mod, [4 * m * c, 8 * c]) as [number, number];
  new Float32Array(mod.memory.buffer, px, m * c).set(x.subarray(0, m * c));
  new Float64Array(mod.memory.buffer, po, c).fill(0);
  mod.colsum(px, po, m, c);
  return Float32Array.from(new Float64Array(mod.memory.buffer, po, c));
}

/** {@link columnSums} in JavaScript only (the reference of the SIMD loop). */
export function columnSumsJs(x: Float32Array, m: number, c: number): Float32Array {
  const acc = new Float64Array(c);
  for (let r = 0, at = 0; r < m; r++) for (let j = 0; j < c; j++, at++) acc[j]! += x[at]!;
  return Float32Array.from(acc);
}
