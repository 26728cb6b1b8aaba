import { loadSimdModule, type SimdExports } from '@hybridspike/core/internal/simd';
import { LIF_WASM } from './lif.generated.js';

/** The exports of assembly/lif.ts. */
export interface LifExports extends SimdExports {
  /** (x, h, s, v, T, N, ...forwardKernelArgs(d), bad) -> spike count. */
  forward(...args: number[]): number;
  /** (h, s, ds, gv, dx, T, N, ...backwardKernelArgs(d, surrogate.kernel)). */
  backward(...args: number[]): void;
}

/**
 * The SIMD neuron kernel (1.4 KB), compiled on first use; null where WebAssembly SIMD is missing
 * or `HYBRIDSPIKE_SIMD=off` asks for the JavaScript loops.
 */
export function lifKernel(): LifExports | null {
  return loadSimdModule<LifExports>(LIF_WASM);
}
