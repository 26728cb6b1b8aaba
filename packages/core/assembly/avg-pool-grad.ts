// AvgPoolGrad for non-overlapping windows (filter = stride, no padding) in SIMD WebAssembly
// (AssemblyScript; built into src/kernels/avg-pool-grad.generated.ts by scripts/build-wasm.mjs).
// Pointers are byte offsets into the memory the module is given.

/**
 * dx `[n, ho * kh, wo * kw, c]` gets `dy[b, yo, xo, :] * scale` (float32 product) in each pixel of
 * window (yo, xo); dy is `[n, ho, wo, c]`; c a multiple of 4.
 */
export function avgPoolGrad(
  dy: usize,
  dx: usize,
  n: i32,
  ho: i32,
  wo: i32,
  c: i32,
  kh: i32,
  kw: i32,
  scale: f32,
): void {
  const s = f32x4.splat(scale);
  const rowBytes: usize = (<usize>wo * <usize>kw * <usize>c) << 2;
  let src: usize = dy;
  let dst: usize = dx;
  for (let r = 0; r < n * ho; r++) {
    // The first row of the window row, then kh - 1 copies of it.
    let o: usize = dst;
    for (let xo = 0; xo < wo; xo++) {
      for (let k = 0; k < c; k += 4) {
        const v = f32x4.mul(v128.load(src + ((<usize>k) << 2)), s);
        for (let j = 0; j < kw; j++) v128.store(o + ((<usize>(j * c + k)) << 2), v);
      }
      src += (<usize>c) << 2;
      o += (<usize>kw * <usize>c) << 2;
    }
    for (let y = 1; y < kh; y++) memory.copy(dst + <usize>y * rowBytes, dst, rowBytes);
    dst += <usize>kh * rowBytes;
  }
}
