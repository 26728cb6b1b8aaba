import { loadAddon } from './binding.js';
import { registerNativeConvKernels, type HeapAccess } from './conv-kernels.js';

export { ADDON_PATH, ConvKind, loadAddon, tryLoadAddon } from './binding.js';
export type { ConvShape, NativeAddon } from './binding.js';
export { nativeCalls, nativeConvKernels, nativeSwitch } from './conv-kernels.js';
export type { HeapAccess } from './conv-kernels.js';

/** What {@link registerNativeKernels} did. */
export type NativeStatus =
  | {
      enabled: true;
      /** e.g. `onednn-2.6.3` */
      kernels: string;
      onednn: string;
      /** The instruction set oneDNN dispatches to on this CPU, e.g. `avx512_core`. */
      isa: string;
      threads: number;
      /** tfjs kernels now run natively, as `name/backend`. */
      replaced: string[];
    }
  | { enabled: false; why: string };

let status: NativeStatus | undefined;

/**
 * Registers oneDNN's convolutions (forward, input and filter gradient) as the wasm backend's
 * `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter`, in place on the wasm heap; each
 * falls back to the kernel it replaced where oneDNN does not apply (dilation, other layouts,
 * a tensor off the heap). Call once, after the wasm backend's kernels (and hybridspike's) are
 * registered; `@hybridspike/core`'s `initRuntime()` does. A missing or unloadable addon is not an
 * error: the status says why, and the wasm kernels run.
 *
 * @param options.heap - the wasm heap accessor (`tfjsHeap` of `@hybridspike/core`)
 * @param options.threads - oneDNN's threads (the process's share of cores)
 */
export function registerNativeKernels(options: {
  heap: () => HeapAccess | null;
  threads: number;
}): NativeStatus {
  if (status) return status;
  const loaded = loadAddon();
  if ('why' in loaded) return (status = { enabled: false, why: loaded.why });
  const { addon } = loaded;
  addon.setThreads(Math.max(1, options.threads));
  const v = addon.version();
  let replaced: string[];
  try {
    replaced = registerNativeConvKernels(addon, options.heap);
  } catch (e) {
    return (status = { enabled: false, why: (e as Error).message });
  }
  status = {
    enabled: true,
    kernels: `onednn-${v.onednn}`,
    onednn: v.onednn,
    isa: v.isa,
    threads: v.threads,
    replaced,
  };
  return status;
}
