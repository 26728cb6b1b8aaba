// The SIMD plumbing our packages' kernels share (subpath /internal/simd): not public API; its
// signatures may change in any release. Loading AssemblyScript modules on tfjs-wasm's heap, the
// heap itself, and composing kernels from kernels.
export { loadSimdModule, heapSimdModule, simdLayout } from './simd/load.js';
export type { SimdExports, SimdBinary } from './simd/load.js';
export { tfjsHeap } from './simd/heap.js';
export type { TfjsHeap } from './simd/heap.js';
export { KernelRunner } from './kernels/kernel-runner.js';
