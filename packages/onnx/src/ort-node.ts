// What the onnxruntime-node side of checkOnnx and predictOnnx share: loading it, and feeding it NCHW.
import { HybridSpikeError } from '@hybridspike/core';
import type * as Ort from 'onnxruntime-node';

/**
 * onnxruntime-node, imported on first use: exporting needs no runtime, so it is an optional peer
 * of this package, needed only to run a model (`checkOnnx`, `predictOnnx`).
 */
export async function loadOnnxRuntime(caller: string): Promise<typeof Ort> {
  try {
    return (await import('onnxruntime-node')) as typeof Ort;
  } catch (e) {
    throw new HybridSpikeError(
      'BACKEND_UNAVAILABLE',
      `${caller} needs the optional peer 'onnxruntime-node' (${(e as Error).message}). Install it: ` +
        'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0 (the variable skips its CUDA download, which fails offline; the CPU binaries ship in the package).',
      { cause: e },
    );
  }
}

/** `[..., H, W, C]` time-major NHWC data -> NCHW order (`[T, N, C, H, W]` / `[N, C, H, W]`). */
export function toNCHW(data: Float32Array, shape: number[]): Float32Array {
  if (shape.length < 4) return data;
  const [H, W, C] = shape.slice(-3) as [number, number, number];
  const outer = data.length / (H * W * C);
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < C; c++)
          out[o * H * W * C + (c * H + y) * W + x] = data[o * H * W * C + (y * W + x) * C + c]!;
  return out;
}
