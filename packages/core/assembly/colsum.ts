// Column sums in SIMD WebAssembly (AssemblyScript; built into src/simd/colsum.generated.ts by
// scripts/build-wasm.mjs at the repository root). Pointers are byte offsets into this module's memory.

/**
 * Column sums of a row-major `[m, c]` float32 matrix into `out` `[c]` (float64, added to what is
 * there), row after row: the order of the JavaScript loop it replaces, so the same sums.
 */
export function colsum(x: usize, out: usize, m: i32, c: i32): void {
  if (c & 1) {
    for (let r = 0; r < m; r++)
      for (let j = 0; j < c; j++) {
        const o: usize = out + ((<usize>j) << 3);
        store<f64>(o, load<f64>(o) + <f64>load<f32>(x + ((<usize>r * <usize>c + <usize>j) << 2)));
      }
    return;
  }
  // Rows outer (streaming through x once), column pairs inner (the sums stay in L1).
  let p: usize = x;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 2) {
      const o: usize = out + ((<usize>j) << 3);
      v128.store(o, f64x2.add(v128.load(o), f64x2.promote_low_f32x4(v128.load64_zero(p))));
      p += 8;
    }
  }
}
