import * as tf from '@tensorflow/tfjs-core';

/**
 * The tfjs wasm backend's heap as our SIMD kernels use it: they are instantiated on this very
 * memory (see `heapSimdModule`) and take tensors by byte offset, so a kernel reads its inputs and
 * writes its outputs in place. Copying into a module's own memory and back, and the allocations
 * that go with it, cost 3-5x the kernels themselves (PERF_NOTES; issue 11).
 */
export interface TfjsHeap {
  readonly memory: WebAssembly.Memory;
  /** Whether the heap is a shared memory (tfjs-wasm's threaded build). */
  readonly shared: boolean;
  /** Byte offset of a float32 tensor's values, or null when they are not on this heap. */
  offsetOf(t: Pick<tf.TensorInfo, 'dtype' | 'dataId'>): number | null;
  /**
   * The offsets of all of `tensors`, or null unless every one is on this heap. Offsets stay valid
   * across allocations (the heap grows at its end); views of its buffer do not.
   */
  offsetsOf(tensors: Pick<tf.TensorInfo, 'dtype' | 'dataId'>[]): number[] | null;
  /** A new float32 tensor on the heap, values unset, and the byte offset of its values. */
  alloc(shape: number[]): { tensor: tf.Tensor; offset: number };
  /** Scratch bytes from the heap's own allocator (at least 8-byte aligned); give back with `free`. */
  malloc(bytes: number): number;
  free(offset: number): void;
}

interface BackendWasmLike {
  wasm: {
    wasmMemory?: WebAssembly.Memory;
    asm?: { memory?: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(offset: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

const heaps = new WeakMap<object, TfjsHeap | null>();

/** The active backend's heap when it is tfjs's wasm backend, else null. */
export function tfjsHeap(): TfjsHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as BackendWasmLike;
  if (!heaps.has(backend)) heaps.set(backend, makeHeap(backend));
  return heaps.get(backend)!;
}

function makeHeap(b: BackendWasmLike): TfjsHeap | null {
  // Threaded build: Emscripten's shared `wasmMemory`; single-threaded: the module's exported memory.
  const memory = b.wasm?.wasmMemory ?? b.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof b.wasm._malloc !== 'function') return null;
  const offsetOf = (t: Pick<tf.TensorInfo, 'dtype' | 'dataId'>) =>
    t.dtype === 'float32' ? (b.dataIdMap.get(t.dataId)?.memoryOffset ?? null) : null;
  return {
    memory,
    shared: typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer,
    offsetOf,
    offsetsOf(tensors) {
      const offsets = tensors.map(offsetOf);
      return offsets.every((o) => o !== null) ? (offsets as number[]) : null;
    },
    alloc(shape) {
      const info = b.makeOutput(shape, 'float32');
      const tensor = tf.engine().makeTensorFromTensorInfo(info);
      return { tensor, offset: b.dataIdMap.get(info.dataId)!.memoryOffset };
    },
    malloc: (bytes) => b.wasm._malloc(Math.max(bytes, 16)),
    free: (offset) => b.wasm._free(offset),
  };
}
