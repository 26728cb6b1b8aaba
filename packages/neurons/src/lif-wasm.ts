import { LIF_WASM_BASE64 } from './lif-wasm.generated.js';

/** The exports of assembly/lif.ts. */
interface LifExports {
  memory: WebAssembly.Memory;
  forward(
    x: number,
    h: number,
    s: number,
    v: number,
    T: number,
    N: number,
    a: number,
    b: number,
    c: number,
    th: number,
    vr: number,
    hard: number,
  ): number;
  backward(
    h: number,
    s: number,
    ds: number,
    gv: number,
    dx: number,
    T: number,
    N: number,
    vr: number,
    th: number,
    hard: number,
    keepReset: number,
    dhdx: number,
    dhdv: number,
    kind: number,
    p0: number,
    p1: number,
  ): void;
}

let lif: LifExports | null | undefined;

/**
 * The SIMD kernel, compiled on first use (1.3 KB, synchronously); null where WebAssembly SIMD
 * is missing or `HYBRIDSPIKE_NEURON_KERNEL=js` asks for the JavaScript loops.
 */
export function lifKernel(): LifExports | null {
  if (lif !== undefined) return lif;
  lif = null;
  const env = typeof process !== 'undefined' ? process.env?.HYBRIDSPIKE_NEURON_KERNEL : undefined;
  if (env === 'js' || typeof WebAssembly === 'undefined') return lif;
  try {
    const bytes = Uint8Array.from(atob(LIF_WASM_BASE64), (ch) => ch.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        abort: () => {
          throw new Error('hybridspike neuron kernel aborted');
        },
      },
    });
    lif = instance.exports as unknown as LifExports;
  } catch {
    lif = null; // no SIMD (old engine): the JavaScript loops run instead
  }
  return lif;
}

/** Byte offsets of consecutive 16-byte-aligned regions past the module's own first page. */
export function layout(k: LifExports, bytes: number[]): number[] {
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
