import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { ConvKind, type ConvShape, type NativeAddon } from './binding.js';

/** What the kernels need of tfjs-wasm's heap (`@hybridspike/core`'s `tfjsHeap()` gives it). */
export interface HeapAccess {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets of the tensors' values on the heap, or null unless all are there. */
  offsetsOf(tensors: Pick<TensorInfo, 'dtype' | 'dataId'>[]): number[] | null;
}

/** The wasm backend's allocator, as a kernel receives it. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): void;
}

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

/** The NHWC geometry oneDNN takes, or null where it does not apply (dilation, empty tensors, rounding). */
function convShape(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dilations: number | [number, number] = 1,
): ConvShape | null {
  const d = typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (d[0] !== 1 || d[1] !== 1 || xShape.length !== 4 || filterShape.length !== 4) return null;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { top, left, bottom, right } = info.padInfo;
  const [n, h, w, ci] = xShape as [number, number, number, number];
  const s: ConvShape = [
    n,
    h,
    w,
    ci,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    top,
    left,
    bottom,
    right,
    info.outHeight,
    info.outWidth,
  ];
  if (s.some((v) => !Number.isInteger(v) || v < 0) || s.slice(0, 9).some((v) => v === 0)) return null;
  // oneDNN checks o = (i + padL + padR - k) / s + 1 (floor); tfjs's 'ceil' rounding may differ.
  const fits = (i: number, k: number, st: number, a: number, b: number, o: number) =>
    o > 0 && Math.floor((i + a + b - k) / st) + 1 === o;
  return fits(h, s[5], s[7], top, bottom, s[13]) && fits(w, s[6], s[8], left, right, s[14]) ? s : null;
}

/** Which convolutions currently run natively (tests and benches compare the two paths). */
export const nativeSwitch = { enabled: true };

/** Counts of calls per path, for tests and for the profile. */
export const nativeCalls = { native: 0, fallback: 0 };

/** A call the addon can run: two operands, the output's shape, and the call on the heap's bytes. */
interface NativeCall {
  a: TensorInfo;
  b: TensorInfo;
  outShape: number[];
  run(heap: Uint8Array, offA: number, offB: number, offOut: number): void;
}

/**
 * A wasm kernel that runs `plan`'s call natively on the heap where it applies (float32 operands on
 * the heap, the switch on), else the kernel registered before it.
 */
function wrap(
  kernelName: string,
  fallback: KernelConfig,
  heap: () => HeapAccess | null,
  plan: (inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) => NativeCall | null,
): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as Record<string, TensorInfo>;
    const p = nativeSwitch.enabled ? plan(inputs, args.attrs as Record<string, unknown>) : null;
    const h = p && p.a.dtype === 'float32' && p.b.dtype === 'float32' ? heap() : null;
    if (!p || !h) {
      nativeCalls.fallback++;
      return fallback.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(p.outShape, 'float32');
    // Offsets after the allocation (it may grow the heap); a fresh view of the grown buffer.
    const at = h.offsetsOf([p.a, p.b, out]);
    if (!at) {
      backend.disposeData(out.dataId);
      nativeCalls.fallback++;
      return fallback.kernelFunc(args);
    }
    p.run(new Uint8Array(h.memory.buffer), at[0]!, at[1]!, at[2]!);
    nativeCalls.native++;
    return out;
  };
  // The fallback's setup (tfjs-wasm binds its C function there, at backend init) must still run.
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc,
    setupFunc: fallback.setupFunc,
    disposeFunc: fallback.disposeFunc,
  };
}

/** A convolution of `kind` on `shape`, with `a` and `b` as the addon takes them. */
function convCall(
  addon: NativeAddon,
  kind: ConvKind,
  shape: ConvShape,
  a: TensorInfo,
  b: TensorInfo,
  outShape: number[],
): NativeCall {
  return {
    a,
    b,
    outShape,
    run: (heap, offA, offB, offOut) => addon.conv(kind, heap, offA, offB, offOut, shape),
  };
}

/** BatchMatMul of operands of rank 2 or more (equal outer dims or a batch of 1 broadcast), else null. */
function matmulCall(
  addon: NativeAddon,
  { a, b }: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): NativeCall | null {
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const ra = a!.shape.length;
  const rb = b!.shape.length;
  if (ra < 2 || rb < 2) return null;
  const outerA = a!.shape.slice(0, -2);
  const outerB = b!.shape.slice(0, -2);
  const size = (d: number[]) => d.reduce((x, y) => x * y, 1);
  const [bA, bB] = [size(outerA), size(outerB)];
  const [a1, a2] = [a!.shape[ra - 2]!, a!.shape[ra - 1]!];
  const [b1, b2] = [b!.shape[rb - 2]!, b!.shape[rb - 1]!];
  const [M, K] = transposeA ? [a2, a1] : [a1, a2];
  const [K2, N] = transposeB ? [b2, b1] : [b1, b2];
  // tfjs's output: the outer dims broadcast, then [M, N]; only equal outer dims or a batch of 1 here.
  const same = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  const outer = same ? outerA : bA === 1 && bB !== 1 ? outerB : bB === 1 ? outerA : null;
  if (outer === null || K !== K2 || M * K * N === 0) return null;
  const dims = [bA, bB, M, K, N, +transposeA, +transposeB];
  return {
    a: a!,
    b: b!,
    outShape: [...outer, M, N],
    run: (heap, offA, offB, offC) => addon.matmul(heap, offA, offB, offC, dims),
  };
}

/** The native kernels (three convolutions, BatchMatMul), each falling back to the kernel registered before it. */
export function nativeConvKernels(
  addon: NativeAddon,
  heap: () => HeapAccess | null,
  previous: (name: string) => KernelConfig,
): KernelConfig[] {
  return [
    wrap(Conv2D, previous(Conv2D), heap, ({ x, filter }, a) => {
      if (a.dataFormat !== 'NHWC') return null;
      const s = convShape(
        x!.shape,
        filter!.shape,
        a.strides as number,
        a.pad as Pad,
        a.dimRoundingMode as never,
        a.dilations as number,
      );
      return s && convCall(addon, ConvKind.Forward, s, x!, filter!, [s[0], s[13], s[14], s[4]]);
    }),
    wrap(Conv2DBackpropInput, previous(Conv2DBackpropInput), heap, ({ dy, filter }, a) => {
      if (a.dataFormat !== 'NHWC') return null;
      const inputShape = a.inputShape as number[];
      const s = convShape(
        inputShape,
        filter!.shape,
        a.strides as number,
        a.pad as Pad,
        a.dimRoundingMode as never,
      );
      if (!s || dy!.shape[1] !== s[13] || dy!.shape[2] !== s[14]) return null;
      return convCall(addon, ConvKind.BackwardData, s, dy!, filter!, [...inputShape]);
    }),
    wrap(Conv2DBackpropFilter, previous(Conv2DBackpropFilter), heap, ({ x, dy }, a) => {
      if (a.dataFormat !== 'NHWC') return null;
      const filterShape = a.filterShape as number[];
      const s = convShape(
        x!.shape,
        filterShape,
        a.strides as number,
        a.pad as Pad,
        a.dimRoundingMode as never,
      );
      if (!s || dy!.shape[1] !== s[13] || dy!.shape[2] !== s[14]) return null;
      return convCall(addon, ConvKind.BackwardWeights, s, x!, dy!, [...filterShape]);
    }),
    wrap(BatchMatMul, previous(BatchMatMul), heap, (inputs, attrs) => matmulCall(addon, inputs, attrs)),
  ];
}

/**
 * Registers {@link nativeConvKernels} over the wasm backend's current convolution kernels (kept
 * as their fallbacks); returns the names replaced.
 */
export function registerNativeConvKernels(addon: NativeAddon, heap: () => HeapAccess | null): string[] {
  const previous = (name: string) => {
    const k = getKernel(name, 'wasm');
    if (!k)
      throw new Error(
        `hybridspike native: no wasm kernel '${name}' to fall back to (register the wasm backend first).`,
      );
    return k;
  };
  const configs = nativeConvKernels(addon, heap, previous);
  for (const c of configs) {
    unregisterKernel(c.kernelName, 'wasm');
    registerKernel(c);
  }
  return configs.map((c) => `${c.kernelName}/wasm`);
}
