import {
  backend_util,
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/**
 * Runs other kernels of the same backend from inside a kernel and frees what they made.
 * Composing kernels (not ops) keeps the work off the autodiff tape and avoids Tensor wrappers.
 */
export class KernelRunner {
  private readonly temps: TensorInfo[] = [];
  constructor(
    readonly backend: KernelBackend,
    private readonly backendName: string,
  ) {}

  /** Runs kernel `name`; the result is freed by {@link dispose} unless {@link keep} takes it. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, this.backendName);
    if (!kernel)
      throw new Error(`hybridspike: kernel '${name}' is not registered on backend '${this.backendName}'.`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo | TensorInfo[];
    const info = Array.isArray(out) ? out[0]! : out;
    this.temps.push(info);
    return info;
  }

  /** Adds a tensor made outside {@link run} (e.g. by the backend's `makeOutput`) to the temporaries. */
  track(info: TensorInfo): TensorInfo {
    this.temps.push(info);
    return info;
  }

  /** Removes `info` from the temporaries so that it survives {@link dispose}. */
  keep(info: TensorInfo): TensorInfo {
    const i = this.temps.indexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    return info;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** `[[0,0],[top,bottom],[left,right],[0,0]]` with negative sides cut off by a Slice first. */
export function padOrCrop(
  r: KernelRunner,
  x: TensorInfo,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { x: TensorInfo; pad: [[number, number], [number, number], [number, number], [number, number]] } {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cropT = Math.max(0, -top);
  const cropB = Math.max(0, -bottom);
  const cropL = Math.max(0, -left);
  const cropR = Math.max(0, -right);
  let y = x;
  if (cropT + cropB + cropL + cropR > 0) {
    y = r.run(
      'Slice',
      { x },
      { begin: [0, cropT, cropL, 0], size: [n, h - cropT - cropB, w - cropL - cropR, c] },
    );
  }
  return {
    x: y,
    pad: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
  };
}

/** The wasm backend's heap access our loop kernels use (BackendWasm's public methods). */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/** What both conv2d gradient kernels need of the forward conv's geometry (NHWC, no dilation). */
export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): { sh: number; sw: number; ho: number; wo: number; kh: number; kw: number; top: number; left: number } {
  const info = backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    sh: info.strideHeight,
    sw: info.strideWidth,
    ho: info.outHeight,
    wo: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}
