// BatchNorm's full-size passes in SIMD WebAssembly (AssemblyScript; built into
// src/layers/batch-norm-wasm.generated.ts by scripts/build-wasm.mjs at the repository root).
// Each does the float32 operations of the tfjs ops it replaces, in their order (wasm never fuses a
// multiply and an add), and sums per channel in float64 row after row like core's column sum, so
// results are bit-identical to the op-by-op path (tested). `x` etc. are byte offsets of row-major
// `[m, c]` float32 matrices, per-channel vectors are `[c]`; c must be a multiple of 4.

/** `out[j] += (x[r, j] - mean[j])^2` over rows, float32 difference and square, float64 sum. */
export function sqdev(x: usize, mean: usize, out: usize, m: i32, c: i32): void {
  let p: usize = x;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 4) {
      const d = f32x4.sub(v128.load(p), v128.load(mean + ((<usize>j) << 2)));
      addPromoted(out + ((<usize>j) << 3), f32x4.mul(d, d));
      p += 16;
    }
  }
}

/** `xhat = (x - mean) * invstd` and `y = xhat * gamma + beta`. */
export function apply(
  x: usize,
  mean: usize,
  invstd: usize,
  gamma: usize,
  beta: usize,
  xhat: usize,
  y: usize,
  m: i32,
  c: i32,
): void {
  let at: usize = 0;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 4) {
      const q: usize = (<usize>j) << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + at), v128.load(mean + q)), v128.load(invstd + q));
      v128.store(xhat + at, xh);
      v128.store(y + at, f32x4.add(f32x4.mul(xh, v128.load(gamma + q)), v128.load(beta + q)));
      at += 16;
    }
  }
}

/**
 * Eval mode, tfjs-wasm's FusedBatchNorm formula: `y = beta + ((x - mean) * gamma) / d` with
 * `d = sqrt(var + eps)` per channel (that kernel takes a square root per element: ~5 ns each).
 * The only pass not bit-identical to the kernel it replaces (last bit, float32 rounding).
 */
export function applyEval(
  x: usize,
  mean: usize,
  d: usize,
  gamma: usize,
  beta: usize,
  y: usize,
  m: i32,
  c: i32,
): void {
  let at: usize = 0;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 4) {
      const q: usize = (<usize>j) << 2;
      const t = f32x4.mul(f32x4.sub(v128.load(x + at), v128.load(mean + q)), v128.load(gamma + q));
      v128.store(y + at, f32x4.add(v128.load(beta + q), f32x4.div(t, v128.load(d + q))));
      at += 16;
    }
  }
}

/** `sdy[j] += dy[r, j]` and `sdyxh[j] += dy[r, j] * xhat[r, j]` (float32 product), float64 sums. */
export function gradSums(dy: usize, xhat: usize, sdy: usize, sdyxh: usize, m: i32, c: i32): void {
  let at: usize = 0;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 4) {
      const o: usize = (<usize>j) << 3;
      const g = v128.load(dy + at);
      addPromoted(sdy + o, g);
      addPromoted(sdyxh + o, f32x4.mul(g, v128.load(xhat + at)));
      at += 16;
    }
  }
}

/** `dx = k * ((dy * mf - dbeta) - xhat * dgamma)`, with `k = gamma * invstd / m` per channel. */
export function gradInput(
  dy: usize,
  xhat: usize,
  k: usize,
  mf: f32,
  dbeta: usize,
  dgamma: usize,
  dx: usize,
  m: i32,
  c: i32,
): void {
  const mm = f32x4.splat(mf);
  let at: usize = 0;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j += 4) {
      const q: usize = (<usize>j) << 2;
      const t = f32x4.sub(
        f32x4.sub(f32x4.mul(v128.load(dy + at), mm), v128.load(dbeta + q)),
        f32x4.mul(v128.load(xhat + at), v128.load(dgamma + q)),
      );
      v128.store(dx + at, f32x4.mul(v128.load(k + q), t));
      at += 16;
    }
  }
}

/** Adds the four float32 lanes of `v`, promoted, to the float64 pairs at `o` and `o + 16`. */
function addPromoted(o: usize, v: v128): void {
  v128.store(o, f64x2.add(v128.load(o), f64x2.promote_low_f32x4(v)));
  const hi = v128.shuffle<f32>(v, v, 2, 3, 2, 3);
  v128.store(o + 16, f64x2.add(v128.load(o + 16), f64x2.promote_low_f32x4(hi)));
}
