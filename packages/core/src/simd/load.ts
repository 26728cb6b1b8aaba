/** What every SIMD module of ours exports besides its functions. */
export interface SimdExports {
  memory: WebAssembly.Memory;
}

const modules = new Map<string, SimdExports | null>();

/**
 * One of our small SIMD WebAssembly modules (embedded as base64), instantiated on first use
 * (synchronously: they are under 4 KB) and kept. Null where WebAssembly SIMD is missing or
 * `HYBRIDSPIKE_SIMD=off` asks for the JavaScript loops; callers then run their JavaScript reference.
 */
export function loadSimdModule<T extends SimdExports>(base64: string): T | null {
  if (!modules.has(base64)) modules.set(base64, instantiate(base64));
  return modules.get(base64) as T | null;
}

function instantiate(base64: string): SimdExports | null {
  const env = typeof process !== 'undefined' ? process.env?.HYBRIDSPIKE_SIMD : undefined;
  if (env === 'off' || typeof WebAssembly === 'undefined') return null;
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        abort: () => {
          throw new Error('hybridspike SIMD kernel aborted');
        },
      },
    });
    return instance.exports as unknown as SimdExports;
  } catch {
    return null; // no SIMD (old engine)
  }
}

/**
 * Byte offsets of consecutive 16-byte-aligned regions of `bytes` each, past the module's own
 * first page, growing its memory to fit.
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
