// Filter gradient of an NHWC conv2d with few input taps (kh * kw * Ci small: a network's first
// layer), in SIMD WebAssembly (built into src/simd/filter-grad.generated.ts by
// scripts/build-wasm.mjs). One pass over the positions; each position adds the outer product of
// its input patch and its dy row (Co a multiple of 4) into dW, which stays in L1.

/**
 * `dw[ky, kx, ci, co] = sum_{n, oy, ox} x[n, oy*sh + ky - top, ox*sw + kx - left, ci] * dy[n, oy, ox, co]`
 * (taps outside the image are zero). dw `[kh, kw, Ci, Co]` float32 must be zeroed by the caller.
 */
export function filterGrad(
  x: usize,
  dy: usize,
  dw: usize,
  N: i32,
  H: i32,
  W: i32,
  Ci: i32,
  Ho: i32,
  Wo: i32,
  Co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  top: i32,
  left: i32,
): void {
  const co4 = Co >> 2;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        const g: usize =
          dy + ((((<usize>n * <usize>Ho + <usize>oy) * <usize>Wo + <usize>ox) * <usize>Co) << 2);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - top;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx - left;
            if (ix < 0 || ix >= W) continue;
            const src: usize =
              x + ((((<usize>n * <usize>H + <usize>iy) * <usize>W + <usize>ix) * <usize>Ci) << 2);
            const dst: usize = dw + (((<usize>ky * <usize>kw + <usize>kx) * <usize>Ci * <usize>Co) << 2);
            for (let ci = 0; ci < Ci; ci++) {
              const xv = f32x4.splat(load<f32>(src + ((<usize>ci) << 2)));
              const row: usize = dst + ((<usize>ci * <usize>Co) << 2);
              for (let c = 0; c < co4; c++) {
                const o: usize = row + ((<usize>c) << 4);
                v128.store(o, f32x4.add(v128.load(o), f32x4.mul(xv, v128.load(g + ((<usize>c) << 4)))));
              }
            }
          }
        }
      }
}
