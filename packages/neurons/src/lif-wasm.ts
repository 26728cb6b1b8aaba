import { loadSimdModule, type SimdExports } from '@hybridspike/core';
import { LIF_WASM } from './lif-wasm.generated.js';

/** The exports of assembly/lif.ts. */
export interface LifExports extends SimdExports {
  forward(
    x: number,
    h: number,
    s: number,
    v: number,
    T: number,
    N: number,
    a: number,
    b: number,
    c: number,
    th: number,
    vr: number,
    hard: number,
    bad: number,
  ): number;
  backward(
    h: number,
    s: number,
    ds: number,
    gv: number,
    dx: number,
    T: number,
    N: number,
    vr: number,
    th: number,
    hard: number,
    keepReset: number,
    dhdx: number,
    dhdv: number,
    kind: number,
    p0: number,
    p1: number,
  ): void;
}

/**
 * The SIMD neuron kernel (1.4 KB), compiled on first use; null where WebAssembly SIMD is missing
 * or `HYBRIDSPIKE_SIMD=off` asks for the JavaScript loops.
 */
export function lifKernel(): LifExports | null {
  return loadSimdModule<LifExports>(LIF_WASM);
}
