import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelRunner } from './kernel-runner.js';

/**
 * BatchMatMul with `transposeA` / `transposeB` done as an explicit Transpose first: the wasm
 * kernel multiplies transposed operands ~10x slower (PERF_NOTES.md: 1.9 vs ~20 GFLOP/s), and
 * every matmul gradient asks for one.
 */
export function makeBatchMatMul(backendName: string, stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as unknown as Record<'a' | 'b', TensorInfo>;
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return stock.kernelFunc({ inputs, backend, attrs });
    const r = new KernelRunner(backend as KernelBackend, backendName);
    try {
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        const n = perm.length;
        [perm[n - 1], perm[n - 2]] = [perm[n - 2]!, perm[n - 1]!];
        return r.run('Transpose', { x: t }, { perm });
      };
      const aa = transposeA ? swapLast(a) : a;
      const bb = transposeB ? swapLast(b) : b;
      const out = stock.kernelFunc({
        inputs: { a: aa, b: bb },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
      return out;
    } finally {
      r.dispose();
    }
  };
  return {
    kernelName: BatchMatMul,
    backendName,
    kernelFunc,
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
  };
}
