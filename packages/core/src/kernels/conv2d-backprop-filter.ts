import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, KernelRunner, padOrCrop, type WasmHeap } from './kernel-runner.js';
import { smallFilterGrad, smallFilterGradApplies, smallFilterGradOnHeap } from '../simd/filter-grad.js';

/**
 * Filter gradient of an NHWC conv2d as one forward conv2d (PERF_NOTES.md: ~10x the im2col way).
 * With batch and channels swapped, `dw[a,b,c,o] = sum_{n,i,j} x[n, i*s+a-pt, j*s+b-pl, c] dy[n,i,j,o]`
 * is a stride-1 conv of `x^T [Ci,H,W,N]` with the filter `dy^T [Ho,Wo,N,Co]` dilated by the stride.
 */
export function makeConv2DBackpropFilter(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as Record<'x' | 'dy', TensorInfo>;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat !== 'NHWC')
      throw new Error(`hybridspike Conv2DBackpropFilter supports NHWC only, got ${dataFormat}.`);
    const { sh, sw, ho, wo, kh, kw, top, left } = convGeometry(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      pad,
      dimRoundingMode,
    );
    const [nb, h, w, ci] = x.shape as [number, number, number, number];
    const shape = {
      N: nb,
      H: h,
      W: w,
      Ci: ci,
      Ho: ho,
      Wo: wo,
      Co: filterShape[3],
      kh,
      kw,
      sh,
      sw,
      top,
      left,
    };
    // A first layer (few input taps): XNNPACK would repack all of dy as a filter per call, for a
    // 3x3 output; one SIMD pass over the positions is ~4x faster.
    if (backendName === 'wasm' && smallFilterGradApplies(shape)) {
      const heap = backend as unknown as WasmHeap;
      const out = heap.makeOutput([...filterShape], 'float32');
      if (!smallFilterGradOnHeap(x, dy, out, shape))
        heap
          .typedArrayFromHeap(out)
          .set(smallFilterGrad(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), shape));
      return out;
    }
    const r = new KernelRunner(backend as KernelBackend, backendName);
    try {
      const xt = r.run('Transpose', { x: x as TensorInfo }, { perm: [3, 1, 2, 0] });
      const f = r.run('Transpose', { x: dy as TensorInfo }, { perm: [1, 2, 0, 3] });
      const bottom = kh + (ho - 1) * sh - h - top;
      const right = kw + (wo - 1) * sw - w - left;
      const p = padOrCrop(r, xt, top, bottom, left, right);
      const g = r.run('Conv2D', { x: p.x, filter: f }, {
        strides: [1, 1],
        pad: p.pad,
        dataFormat: 'NHWC',
        dilations: [sh, sw],
        dimRoundingMode: undefined,
      } as never);
      return r.keep(r.run('Transpose', { x: g }, { perm: [1, 2, 0, 3] }));
    } finally {
      r.dispose();
    }
  };
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc };
}
