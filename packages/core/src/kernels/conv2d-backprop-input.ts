import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, KernelRunner, padOrCrop, type WasmHeap } from './kernel-runner.js';

/**
 * Input gradient of an NHWC conv2d as a forward conv2d of the stride-dilated `dy` with the
 * flipped, in/out-swapped filter: ~10x the stock wasm `conv2dTranspose` (PERF_NOTES.md).
 */
export function makeConv2DBackpropInput(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as unknown as Record<'dy' | 'filter', TensorInfo>;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as Conv2DBackpropInputAttrs;
    if (dataFormat !== 'NHWC')
      throw new Error(`hybridspike Conv2DBackpropInput supports NHWC only, got ${dataFormat}.`);
    const { sh, sw, ho, wo, kh, kw, top, left } = convGeometry(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      pad,
      dimRoundingMode,
    );
    const [n, h, w] = inputShape;
    const co = filter.shape[3]!;
    const r = new KernelRunner(backend as KernelBackend, backendName);
    try {
      const wt =
        backendName === 'wasm'
          ? r.track(flipSwapFilter(backend as unknown as WasmHeap, filter as TensorInfo))
          : r.run(
              'Transpose',
              { x: r.run('Reverse', { x: filter as TensorInfo }, { dims: [0, 1] }) },
              {
                perm: [0, 1, 3, 2],
              },
            );
      let d: TensorInfo = dy as TensorInfo;
      if (sh > 1 || sw > 1) {
        // Dilate dy: [N,Ho,1,Wo,1,Co] padded to [N,Ho,sh,Wo,sw,Co]; the trailing zeros are cropped below.
        const r6 = r.run('Reshape', { x: d }, { shape: [n, ho, 1, wo, 1, co] });
        const p6 = r.run('PadV2', { x: r6 }, {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        } as never);
        d = r.run('Reshape', { x: p6 }, { shape: [n, ho * sh, wo * sw, co] });
      }
      const bottom = h + top - (ho - 1) * sh - 1 - (sh - 1);
      const right = w + left - (wo - 1) * sw - 1 - (sw - 1);
      const p = padOrCrop(r, d, kh - 1 - top, bottom, kw - 1 - left, right);
      return r.keep(
        r.run('Conv2D', { x: p.x, filter: wt }, {
          strides: [1, 1],
          pad: p.pad,
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        } as never),
      );
    } finally {
      r.dispose();
    }
  };
  return { kernelName: Conv2DBackpropInput, backendName, kernelFunc };
}

/**
 * `w[kh-1-a, kw-1-b, ci, co]` as `[a, b, co, ci]`: the filter of the input gradient, in one pass
 * over the heap. tfjs-wasm's Reverse kernel took ~75 ns an element (22 ms for a 3x3x128x256
 * filter, most of that layer's input gradient).
 */
function flipSwapFilter(heap: WasmHeap, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = heap.makeOutput([kh, kw, co, ci], 'float32');
  const w = heap.typedArrayFromHeap(filter);
  const o = heap.typedArrayFromHeap(out);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++) {
      const src = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
      const dst = (a * kw + b) * co * ci;
      for (let c = 0; c < ci; c++) for (let k = 0; k < co; k++) o[dst + k * ci + c] = w[src + c * co + k]!;
    }
  return out;
}
