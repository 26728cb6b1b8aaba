import { FILTER_GRAD_WASM } from './filter-grad.generated.js';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { heapSimdModule, loadSimdModule, simdLayout, type SimdExports } from './load.js';

interface FilterGradExports extends SimdExports {
  filterGrad(...args: number[]): void;
}

const kernel = () => loadSimdModule<FilterGradExports>(FILTER_GRAD_WASM);

/** Geometry of one conv2d filter gradient (NHWC). */
export interface FilterGradShape {
  N: number;
  H: number;
  W: number;
  Ci: number;
  Ho: number;
  Wo: number;
  Co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** Whether {@link smallFilterGrad} takes this shape: few input taps, Co a multiple of 4, SIMD. */
export function smallFilterGradApplies(s: FilterGradShape): boolean {
  return s.kh * s.kw * s.Ci <= 32 && s.Co % 4 === 0 && kernel() !== null;
}

/**
 * The filter gradient `[kh, kw, Ci, Co]` of a conv2d with few input taps (a first layer), by one
 * SIMD pass over the positions (see assembly/filter-grad.ts); check {@link smallFilterGradApplies}.
 */
export function smallFilterGrad(x: Float32Array, dy: Float32Array, s: FilterGradShape): Float32Array {
  const k = kernel()!;
  const nx = s.N * s.H * s.W * s.Ci;
  const ny = s.N * s.Ho * s.Wo * s.Co;
  const nw = s.kh * s.kw * s.Ci * s.Co;
  const [px, py, pw] = simdLayout(k, [4 * nx, 4 * ny, 4 * nw]) as [number, number, number];
  const f32 = new Float32Array(k.memory.buffer);
  f32.set(x.subarray(0, nx), px / 4);
  f32.set(dy.subarray(0, ny), py / 4);
  f32.fill(0, pw / 4, pw / 4 + nw);
  k.filterGrad(px, py, pw, s.N, s.H, s.W, s.Ci, s.Ho, s.Wo, s.Co, s.kh, s.kw, s.sh, s.sw, s.top, s.left);
  return new Float32Array(k.memory.buffer).slice(pw / 4, pw / 4 + nw);
}

/**
 * {@link smallFilterGrad} in place on tfjs-wasm's heap: reads `x` and `dy` where tfjs keeps them
 * and writes `out` `[kh, kw, Ci, Co]` (no copies of the two large inputs). False when they are
 * not there; the caller then takes the copying {@link smallFilterGrad}.
 */
export function smallFilterGradOnHeap(
  x: Pick<TensorInfo, 'dtype' | 'dataId'>,
  dy: Pick<TensorInfo, 'dtype' | 'dataId'>,
  out: Pick<TensorInfo, 'dtype' | 'dataId'>,
  s: FilterGradShape,
): boolean {
  const on = heapSimdModule<FilterGradExports>(FILTER_GRAD_WASM);
  const at = on?.heap.offsetsOf([x, dy, out]);
  if (!on || !at) return false;
  const [px, py, pw] = at as [number, number, number];
  new Float32Array(on.heap.memory.buffer, pw, s.kh * s.kw * s.Ci * s.Co).fill(0);
  on.k.filterGrad(px, py, pw, s.N, s.H, s.W, s.Ci, s.Ho, s.Wo, s.Co, s.kh, s.kw, s.sh, s.sw, s.top, s.left);
  return true;
}
