import type * as tf from '@tensorflow/tfjs-core';
import { peekFloats } from '../peek.js';
import { COLSUM_WASM } from './colsum.generated.js';
import { heapSimdModule, loadSimdModule, simdLayout, type SimdExports } from './load.js';

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

/**
 * {@link columnSums} of a `[..., c]` float32 tensor over every axis but the last, read in place
 * on the tfjs-wasm heap where the tensor lives there (else from {@link peekFloats}).
 */
export function columnSumsOf(t: tf.Tensor): Float32Array {
  const c = t.shape[t.rank - 1]!;
  const m = t.size / c;
  const on = heapSimdModule<ColsumExports>(COLSUM_WASM);
  const px = on?.heap.offsetOf(t);
  if (!on || px == null) return columnSums(peekFloats(t), m, c);
  const po = on.heap.malloc(8 * c);
  new Float64Array(on.heap.memory.buffer, po, c).fill(0);
  on.k.colsum(px, po, m, c);
  const sums = Float32Array.from(new Float64Array(on.heap.memory.buffer, po, c));
  on.heap.free(po);
  return sums;
}
