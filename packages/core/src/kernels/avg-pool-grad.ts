import {
  backend_util,
  type AvgPoolGradAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { WasmHeap } from './kernel-runner.js';
import { AVG_POOL_GRAD_WASM } from '../simd/avg-pool-grad.generated.js';
import { heapSimdModule, type SimdExports } from '../simd/load.js';

interface AvgPoolGradExports extends SimdExports {
  /** dy, dx, n, ho, wo, c, kh, kw, scale. */
  avgPoolGrad(...args: number[]): void;
}

/**
 * AvgPoolGrad on wasm for non-overlapping windows (filter = stride, no padding: every pooling
 * layer of the HAS-8 models): each input pixel gets `dy / (kh kw)` of its one window, written
 * straight into the wasm heap by a SIMD pass (channels a multiple of 4, assembly/avg-pool-grad.ts)
 * or a JavaScript loop (the stock kernel took ~10 ms per 4M elements).
 * The product is rounded to float32 once, as the stock kernel's; other shapes go to the stock one.
 */
export function makeAvgPoolGrad(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { dy, input } = args.inputs as unknown as Record<'dy' | 'input', TensorInfo>;
    const { filterSize, strides, pad } = args.attrs as unknown as AvgPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
    );
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
    const [kh, kw, sh, sw] = [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
    const simple =
      kh === sh &&
      kw === sw &&
      info.padInfo.top === 0 &&
      info.padInfo.left === 0 &&
      ho * kh === h &&
      wo * kw === w;
    if (!simple || dy.dtype !== 'float32') return stock.kernelFunc(args);
    const backend = args.backend as unknown as WasmHeap;
    const out = backend.makeOutput(input.shape, 'float32');
    const g = backend.typedArrayFromHeap(dy);
    const dx = backend.typedArrayFromHeap(out);
    const scale = Math.fround(1 / (kh * kw));
    const simd = c % 4 === 0 ? heapSimdModule<AvgPoolGradExports>(AVG_POOL_GRAD_WASM) : null;
    const at = simd?.heap.offsetsOf([dy, out]);
    if (simd && at) {
      simd.k.avgPoolGrad(...at, n, ho, wo, c, kh, kw, scale);
      return out;
    }
    const row = w * c;
    // The first row of each window row by a loop; its kh - 1 copies below by memcpy.
    for (let b = 0; b < n; b++)
      for (let yo = 0; yo < ho; yo++) {
        const src = (b * ho + yo) * wo * c;
        const dst = (b * h + yo * kh) * row;
        for (let xo = 0; xo < wo; xo++) {
          const s = src + xo * c;
          for (let k = 0; k < c; k++) {
            const v = g[s + k]! * scale;
            for (let d = dst + xo * kw * c + k, j = 0; j < kw; j++, d += c) dx[d] = v;
          }
        }
        for (let y = 1; y < kh; y++) dx.copyWithin(dst + y * row, dst, dst + row);
      }
    return out;
  };
  return { ...stock, kernelFunc };
}
