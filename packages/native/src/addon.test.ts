import { describe, expect, it } from 'vitest';
import { ConvKind, loadAddon, tryLoadAddon, type ConvShape } from './index.js';

const loaded = loadAddon();
// CI installs oneDNN and sets this: there, a missing addon is a failure, not a skip.
const required = process.env.HYBRIDSPIKE_REQUIRE_NATIVE === '1';
const addon = 'addon' in loaded ? loaded.addon : null;

/** A deterministic pseudo-random fill. */
function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
}

/** Direct loops: the reference for the three convolutions (NHWC, HWIO). */
function reference(kind: ConvKind, s: ConvShape, a: Float32Array, b: Float32Array): Float32Array {
  const [N, H, W, Ci, Co, kh, kw, sh, sw, top, left, , , Ho, Wo] = s;
  const out = new Float32Array(
    kind === ConvKind.Forward
      ? N * Ho * Wo * Co
      : kind === ConvKind.BackwardData
        ? N * H * W * Ci
        : kh * kw * Ci * Co,
  );
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let p = 0; p < kh; p++)
          for (let q = 0; q < kw; q++) {
            const ii = i * sh + p - top;
            const jj = j * sw + q - left;
            if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
            for (let c = 0; c < Ci; c++)
              for (let o = 0; o < Co; o++) {
                const xi = ((n * H + ii) * W + jj) * Ci + c;
                const wi = ((p * kw + q) * Ci + c) * Co + o;
                const yi = ((n * Ho + i) * Wo + j) * Co + o;
                if (kind === ConvKind.Forward) out[yi] = out[yi]! + a[xi]! * b[wi]!;
                else if (kind === ConvKind.BackwardData) out[xi] = out[xi]! + a[yi]! * b[wi]!;
                else out[wi] = out[wi]! + a[xi]! * b[yi]!;
              }
          }
  return out;
}

/** `[N, H, W, Ci, Co, kh, kw, sh, sw, top, left, bottom, right, Ho, Wo]` for 'same'-like padding p. */
function shape(N: number, H: number, Ci: number, Co: number, k: number, st: number, p: number): ConvShape {
  const Ho = Math.floor((H + 2 * p - k) / st) + 1;
  const bottom = (Ho - 1) * st + k - H - p;
  return [N, H, H, Ci, Co, k, k, st, st, p, p, bottom, bottom, Ho, Ho];
}

const CASES: ConvShape[] = [
  shape(2, 7, 3, 4, 3, 1, 1),
  shape(2, 8, 3, 5, 3, 2, 1),
  shape(2, 9, 2, 3, 3, 2, 0),
  shape(1, 13, 3, 8, 7, 2, 3),
  shape(2, 5, 4, 6, 1, 2, 0),
  shape(3, 12, 1, 16, 3, 1, 1),
  shape(2, 6, 16, 32, 3, 1, 1),
];

describe.skipIf(!addon && !required)('the oneDNN addon', () => {
  it('was built and loads (CI requires it)', () => {
    expect(loaded).toHaveProperty('addon');
    expect(addon!.version().onednn).toMatch(/^\d+\.\d+\.\d+$/);
  });

  for (const s of CASES)
    for (const kind of [ConvKind.Forward, ConvKind.BackwardData, ConvKind.BackwardWeights])
      it(`conv kind ${kind} matches direct loops: ${s.join(',')}`, () => {
        const [N, H, W, Ci, Co, kh, kw, , , , , , , Ho, Wo] = s;
        const nx = N * H * W * Ci;
        const ny = N * Ho * Wo * Co;
        const nw = kh * kw * Ci * Co;
        const sizes =
          kind === ConvKind.Forward
            ? [nx, nw, ny]
            : kind === ConvKind.BackwardData
              ? [ny, nw, nx]
              : [nx, ny, nw];
        // Tensors at odd places in one buffer, as on the wasm heap; a canary after the output.
        const offs = [64, 64 + 4 * sizes[0]! + 32, 64 + 4 * (sizes[0]! + sizes[1]!) + 96];
        const heap = new Uint8Array(offs[2]! + 4 * sizes[2]! + 16);
        const f = new Float32Array(heap.buffer);
        const a = f.subarray(offs[0]! / 4, offs[0]! / 4 + sizes[0]!);
        const b = f.subarray(offs[1]! / 4, offs[1]! / 4 + sizes[1]!);
        fill(a, 1);
        fill(b, 2);
        f.fill(7, offs[2]! / 4 + sizes[2]!);
        addon!.conv(kind, heap, offs[0]!, offs[1]!, offs[2]!, s);
        const got = f.subarray(offs[2]! / 4, offs[2]! / 4 + sizes[2]!);
        const want = reference(kind, s, a, b);
        let scale = 1e-6;
        let diff = 0;
        for (let i = 0; i < want.length; i++) {
          scale = Math.max(scale, Math.abs(want[i]!));
          diff = Math.max(diff, Math.abs(want[i]! - got[i]!));
        }
        expect(diff / scale).toBeLessThan(1e-5);
        expect([...f.subarray(offs[2]! / 4 + sizes[2]!)].every((v) => v === 7)).toBe(true);
      });

  it('matmul with transposes and a broadcast batch matches direct loops', () => {
    for (const [bA, bB, M, K, N, tA, tB] of [
      [1, 1, 5, 7, 3, 0, 0],
      [2, 2, 4, 3, 6, 1, 0],
      [3, 1, 2, 5, 4, 0, 1],
      [1, 2, 3, 4, 5, 1, 1],
    ] as const) {
      const na = bA * M * K;
      const nb = bB * K * N;
      const bC = Math.max(bA, bB);
      const heap = new Uint8Array(4 * (na + nb + bC * M * N));
      const f = new Float32Array(heap.buffer);
      fill(f.subarray(0, na), 3);
      fill(f.subarray(na, na + nb), 4);
      addon!.matmul(heap, 0, 4 * na, 4 * (na + nb), [bA, bB, M, K, N, tA, tB]);
      for (let z = 0; z < bC; z++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let want = 0;
            for (let k = 0; k < K; k++) {
              const za = bA === 1 ? 0 : z;
              const zb = bB === 1 ? 0 : z;
              const av = f[za * M * K + (tA ? k * M + i : i * K + k)]!;
              const bv = f[na + zb * K * N + (tB ? j * K + k : k * N + j)]!;
              want += av * bv;
            }
            expect(f[na + nb + (z * M + i) * N + j]).toBeCloseTo(want, 4);
          }
    }
  });

  it('refuses a tensor that would lie outside the heap, and bad arguments, with an error', () => {
    const s = shape(1, 4, 2, 2, 3, 1, 1);
    const heap = new Uint8Array(64);
    expect(() => addon!.conv(ConvKind.Forward, heap, 0, 0, 0, s)).toThrow(/outside the heap/);
    expect(() => addon!.conv(3 as ConvKind, heap, 0, 0, 0, s)).toThrow(/kind must be/);
    expect(() => addon!.conv(ConvKind.Forward, heap, 2, 0, 0, s)).toThrow(/multiples of 4/);
    expect(() => addon!.matmul(heap, 0, 0, 0, [2, 3, 1, 1, 1, 0, 0])).toThrow(/batches must match/);
    expect(() => addon!.setThreads(0)).toThrow(/positive integer/);
  });

  it('computes with denormals flushed (they cost 10-100x), leaving JavaScript its IEEE denormals', () => {
    // A denormal weight (|w| < 2^-126) counts as 0 inside oneDNN: the same output as a zero there.
    const [bA, bB, M, K, N] = [1, 1, 4, 64, 8];
    const run = (denormal: number) => {
      const heap = new Uint8Array(4 * (M * K + K * N + M * N));
      const f = new Float32Array(heap.buffer);
      fill(f.subarray(0, M * K), 5);
      // Weights: zeros, and every third one the value under test.
      for (let i = M * K; i < M * K + K * N; i += 3) f[i] = denormal;
      // Inputs so large that a denormal weight times them would be a normal number without DAZ
      // (1e-39 * 1e30 = 1e-9).
      for (let i = 0; i < M * K; i++) f[i] = f[i]! * 1e30;
      addon!.matmul(heap, 0, 4 * M * K, 4 * (M * K + K * N), [bA, bB, M, K, N, 0, 0]);
      return [...f.subarray(M * K + K * N)];
    };
    expect(run(1e-39)).toEqual(run(0));
    expect(run(0).every((v) => v === 0)).toBe(true);
    expect(run(1e-30).some((v) => Math.abs(v) > 1e-3)).toBe(true); // a normal weight does count
    // The calling thread (Node's, which runs JavaScript and wasm) gets its rounding mode back.
    const tiny = new Float32Array([1e-39]);
    expect(tiny[0]).not.toBe(0);
    expect(Math.fround(1e-39) * 2).toBeGreaterThan(0);
    expect(Number.MIN_VALUE / 2 + Number.MIN_VALUE).toBe(Number.MIN_VALUE);
  });

  it('names the oneDNN implementation a shape runs on', () => {
    expect(addon!.implementation(ConvKind.Forward, shape(2, 8, 16, 32, 3, 1, 1))).toMatch(/\w+:\w+/);
  });
});

describe('without the addon', () => {
  it('says why, with the way to get it, instead of failing', () => {
    expect(tryLoadAddon('/nonexistent/hybridspike_native.node')).toEqual({
      why: expect.stringMatching(/was not built .*apt-get install libdnnl-dev/),
    });
    const notAnAddon = new URL('../csrc/onednn.cc', import.meta.url).pathname;
    expect(tryLoadAddon(notAnAddon)).toEqual({ why: expect.stringMatching(/did not load/) });
  });
});
