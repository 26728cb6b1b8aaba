// The bit-plane encoder's forward and the spike decoders' weighted sum over time in SIMD
// WebAssembly (AssemblyScript; built into src/planes-wasm.generated.ts by scripts/build-wasm.mjs at
// the repository root). Pointers are byte offsets into the memory the module is given.

/**
 * Planes of the levels `clamp(floor(q), 0, top)` of q `[n]` (float32): `out[t * n + i]` is bit
 * `planeOf[t]` (int32 `[bits]`) of level i, as 0 or 1. NaN gives level 0, as the JavaScript.
 */
export function encode(q: usize, out: usize, n: i32, bits: i32, top: i32, planeOf: usize): void {
  const zero = i32x4.splat(0);
  const hi = i32x4.splat(top);
  const one = i32x4.splat(1);
  const n4 = n & ~3;
  for (let t = 0; t < bits; t++) {
    const shift = load<i32>(planeOf + ((<usize>t) << 2));
    const row: usize = out + ((<usize>t * <usize>n) << 2);
    let i = 0;
    for (; i < n4; i += 4) {
      const level = i32x4.min_s(
        hi,
        i32x4.max_s(zero, i32x4.trunc_sat_f32x4_s(f32x4.floor(v128.load(q + ((<usize>i) << 2))))),
      );
      v128.store(row + ((<usize>i) << 2), f32x4.convert_i32x4_s(v128.and(i32x4.shr_s(level, shift), one)));
    }
    for (; i < n; i++) {
      const f = Mathf.floor(load<f32>(q + ((<usize>i) << 2)));
      const level = f != f ? 0 : <i32>Mathf.min(<f32>top, Mathf.max(0, f));
      store<f32>(row + ((<usize>i) << 2), <f32>((level >> shift) & 1));
    }
  }
}

/** `out[i] = sum_t w[t] * s[t * m + i]`, float32, summed in step order (w: float32 `[T]`). */
export function weightedSum(s: usize, w: usize, out: usize, T: i32, m: i32): void {
  const m4 = m & ~3;
  let i = 0;
  for (; i < m4; i += 4) {
    let acc = f32x4.splat(0);
    for (let t = 0; t < T; t++)
      acc = f32x4.add(
        acc,
        f32x4.mul(
          f32x4.splat(load<f32>(w + ((<usize>t) << 2))),
          v128.load(s + ((<usize>t * <usize>m + <usize>i) << 2)),
        ),
      );
    v128.store(out + ((<usize>i) << 2), acc);
  }
  for (; i < m; i++) {
    let acc: f32 = 0;
    for (let t = 0; t < T; t++)
      acc += load<f32>(w + ((<usize>t) << 2)) * load<f32>(s + ((<usize>t * <usize>m + <usize>i) << 2));
    store<f32>(out + ((<usize>i) << 2), acc);
  }
}
