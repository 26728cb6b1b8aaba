import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Which convolution a call runs (the addon's `kind`). */
export const ConvKind = {
  /** x, w -> y */
  Forward: 0,
  /** dy, w -> dx */
  BackwardData: 1,
  /** x, dy -> dw */
  BackwardWeights: 2,
} as const;
/** One of the {@link ConvKind} numbers. */
export type ConvKind = (typeof ConvKind)[keyof typeof ConvKind];

/** `[N, H, W, Ci, Co, kh, kw, sh, sw, top, left, bottom, right, Ho, Wo]` of an NHWC conv. */
export type ConvShape = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** The addon's functions (csrc/onednn.cc). */
export interface NativeAddon {
  /** One convolution in place on `heap`'s bytes; offsets in bytes (see {@link ConvKind}). */
  conv(kind: ConvKind, heap: Uint8Array, offA: number, offB: number, offOut: number, shape: ConvShape): void;
  /**
   * `C[b] = op(A[b]) op(B[b])` (row-major, a batch of 1 broadcast, op a transpose where asked) in
   * place on `heap`; dims `[batchA, batchB, M, K, N, transA, transB]`.
   */
  matmul(heap: Uint8Array, offA: number, offB: number, offC: number, dims: number[]): void;
  /** The oneDNN implementation that runs this convolution (e.g. `brgconv:avx512_core`). */
  implementation(kind: ConvKind, shape: ConvShape): string;
  /** oneDNN's OpenMP threads from now on. */
  setThreads(n: number): void;
  /** oneDNN's version, the instruction set it dispatches to, and its thread count. */
  version(): { onednn: string; isa: string; threads: number };
}

/** The built addon's path (scripts/build.mjs writes it at install). */
export const ADDON_PATH = fileURLToPath(new URL('../build/hybridspike_native.node', import.meta.url));

let loaded: { addon: NativeAddon } | { why: string } | undefined;

/**
 * The addon, or why it cannot be used: not built (no compiler or no oneDNN at install time), or
 * built but not loadable (oneDNN's library missing at run time). Loaded once. OpenMP waits
 * passively unless the user chose otherwise: its threads must not spin against the wasm
 * backend's pool between calls (one owner of the cores).
 */
export function loadAddon(): { addon: NativeAddon } | { why: string } {
  loaded ??= tryLoadAddon(process.env.HYBRIDSPIKE_NATIVE_ADDON || ADDON_PATH);
  return loaded;
}

/** Loads the addon at `path` (uncached): the addon, or why not. */
export function tryLoadAddon(path: string): { addon: NativeAddon } | { why: string } {
  if (!existsSync(path))
    return {
      why: `the addon was not built (${path} is missing: install oneDNN, e.g. apt-get install libdnnl-dev, then run pnpm --filter @hybridspike/native build:native)`,
    };
  // libgomp reads these when it loads, which is when the addon loads.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  process.env.OMP_PROC_BIND ??= 'false';
  try {
    return { addon: createRequire(import.meta.url)(path) as NativeAddon };
  } catch (e) {
    return { why: `the addon at ${path} did not load (${(e as Error).message.split('\n')[0]})` };
  }
}
