import { tfjsHeap, type TfjsHeap } from './heap.js';

/** What every SIMD module of ours exports besides its functions. */
export interface SimdExports {
  memory: WebAssembly.Memory;
}

/**
 * One kernel module built twice by scripts/build-wasm.mjs (base64): importing a plain memory and
 * importing a shared one (tfjs-wasm's threaded build has a shared heap).
 */
export interface SimdBinary {
  plain: string;
  shared: string;
}

const own = new Map<string, SimdExports | null>();
const onHeap = new WeakMap<WebAssembly.Memory, Map<string, SimdExports | null>>();

/**
 * One of our small SIMD WebAssembly modules on a memory of its own (callers copy data in and
 * out), instantiated on first use (synchronously: they are under 4 KB) and kept. Null where
 * WebAssembly SIMD is missing or `HYBRIDSPIKE_SIMD=off` asks for the JavaScript loops; callers
 * then run their JavaScript reference.
 */
export function loadSimdModule<T extends SimdExports>(binary: SimdBinary): T | null {
  if (!own.has(binary.plain))
    own.set(
      binary.plain,
      instantiate(binary.plain, () => new WebAssembly.Memory({ initial: 1 })),
    );
  return own.get(binary.plain) as T | null;
}

/**
 * The module instantiated on the active tfjs wasm backend's own heap, so that it reads and writes
 * tensors in place (no copies; see {@link TfjsHeap}); null off the wasm backend, without SIMD, or
 * with `HYBRIDSPIKE_SIMD=off`. Callers then take {@link loadSimdModule}'s copying path.
 */
export function heapSimdModule<T extends SimdExports>(binary: SimdBinary): { k: T; heap: TfjsHeap } | null {
  const heap = tfjsHeap();
  if (!heap) return null;
  let mods = onHeap.get(heap.memory);
  if (!mods) onHeap.set(heap.memory, (mods = new Map()));
  const base64 = heap.shared ? binary.shared : binary.plain;
  if (!mods.has(base64))
    mods.set(
      base64,
      instantiate(base64, () => heap.memory),
    );
  const k = mods.get(base64) as T | null;
  return k ? { k, heap } : null;
}

function instantiate(base64: string, memory: () => WebAssembly.Memory): SimdExports | null {
  const env = typeof process !== 'undefined' ? process.env?.HYBRIDSPIKE_SIMD : undefined;
  if (env === 'off' || typeof WebAssembly === 'undefined') return null;
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    const mem = memory();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        memory: mem,
        abort: () => {
          throw new Error('hybridspike SIMD kernel aborted');
        },
      },
    });
    return { ...(instance.exports as object), memory: mem } as SimdExports;
  } catch {
    return null; // no SIMD (old engine)
  }
}

/**
 * Byte offsets of consecutive 16-byte-aligned regions of `bytes` each, past the module's own
 * first page, growing its memory to fit (for modules from {@link loadSimdModule}).
 */
export function simdLayout(k: SimdExports, bytes: number[]): number[] {
  const offsets: number[] = [];
  let at = 65536;
  for (const b of bytes) {
    offsets.push(at);
    at += Math.ceil(b / 16) * 16;
  }
  const have = k.memory.buffer.byteLength;
  if (at > have) k.memory.grow(Math.ceil((at - have) / 65536));
  return offsets;
}
