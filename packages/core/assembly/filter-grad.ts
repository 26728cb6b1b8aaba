// Filter gradient of an NHWC conv2d with few input taps (kh * kw * Ci small: a network's first
// layer), in SIMD WebAssembly (built into src/simd/filter-grad.generated.ts by
// scripts/build-wasm.mjs). For each image row of dy and each tap and input channel, 16 output
// channels accumulate in registers along the row (dy's row stays in L1), then add into dW: no
// load and store of dW per position.

/**
 * `dw[ky, kx, ci, co] += sum_{n, oy, ox} x[n, oy*sh + ky - top, ox*sw + kx - left, ci] * dy[n, oy, ox, co]`
 * (taps outside the image are zero). dw `[kh, kw, Ci, Co]` float32 must be zeroed by the caller;
 * Co a multiple of 4.
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
  const co16 = Co & ~15;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < Ho; oy++) {
      const gRow: usize = dy + (((<usize>n * <usize>Ho + <usize>oy) * <usize>Wo * <usize>Co) << 2);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh + ky - top;
        if (iy < 0 || iy >= H) continue;
        const xRow: usize = x + (((<usize>n * <usize>H + <usize>iy) * <usize>W * <usize>Ci) << 2);
        for (let kx = 0; kx < kw; kx++) {
          // Output columns whose tap lands inside the image: 0 <= ox * sw + kx - left < W.
          let ox0 = 0;
          while (ox0 < Wo && ox0 * sw + kx - left < 0) ox0++;
          let ox1 = Wo;
          while (ox1 > ox0 && (ox1 - 1) * sw + kx - left >= W) ox1--;
          for (let ci = 0; ci < Ci; ci++) {
            const dst: usize =
              dw + ((((<usize>ky * <usize>kw + <usize>kx) * <usize>Ci + <usize>ci) * <usize>Co) << 2);
            let c = 0;
            for (; c < co16; c += 16) {
              let a0 = f32x4.splat(0);
              let a1 = f32x4.splat(0);
              let a2 = f32x4.splat(0);
              let a3 = f32x4.splat(0);
              for (let ox = ox0; ox < ox1; ox++) {
                const ix = ox * sw + kx - left;
                const xv = f32x4.splat(load<f32>(xRow + ((<usize>ix * <usize>Ci + <usize>ci) << 2)));
                const g: usize = gRow + ((<usize>ox * <usize>Co + <usize>c) << 2);
                a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(g)));
                a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(g, 16)));
                a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(g, 32)));
                a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(g, 48)));
              }
              const o: usize = dst + ((<usize>c) << 2);
              v128.store(o, f32x4.add(v128.load(o), a0));
              v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
              v128.store(o, f32x4.add(v128.load(o, 32), a2), 32);
              v128.store(o, f32x4.add(v128.load(o, 48), a3), 48);
            }
            for (; c < Co; c += 4) {
              let a = f32x4.splat(0);
              for (let ox = ox0; ox < ox1; ox++) {
                const ix = ox * sw + kx - left;
                const xv = f32x4.splat(load<f32>(xRow + ((<usize>ix * <usize>Ci + <usize>ci) << 2)));
                a = f32x4.add(a, f32x4.mul(xv, v128.load(gRow + ((<usize>ox * <usize>Co + <usize>c) << 2))));
              }
              const o: usize = dst + ((<usize>c) << 2);
              v128.store(o, f32x4.add(v128.load(o), a));
            }
          }
        }
      }
    }
}
