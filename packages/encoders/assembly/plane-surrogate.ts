// The bit-plane encoder's surrogate backward (src/bitplane-surrogates.ts) in SIMD WebAssembly,
// two levels at a time in float64 (AssemblyScript; built into src/plane-surrogate-wasm.generated.ts
// by scripts/build-wasm.mjs at the repository root). Same expressions in the same order as the
// JavaScript; sin, cos and exp are fdlibm's kernels written out here (a module must hold no data,
// see the build script), so results agree with Math.sin / cos / exp / cosh to about an ulp.
// Pointers are byte offsets: q `[n]`, dy `[bits * n]` (time-major), dq `[n]` float32; scale and
// stepPlane `[bits]` (float64 scale per plane, int32 plane of each time step); g: 16 * bits bytes.

const PI: f64 = 3.141592653589793;

// fdlibm __kernel_sin / __kernel_cos on [-pi/4, pi/4], and rem_pio2's first split of pi/2.
const S1: f64 = -1.66666666666666324348e-1;
const S2: f64 = 8.33333333332248946124e-3;
const S3: f64 = -1.98412698298579493134e-4;
const S4: f64 = 2.75573137070700676789e-6;
const S5: f64 = -2.50507602534068634195e-8;
const S6: f64 = 1.58969099521155010221e-10;
const C1: f64 = 4.16666666666666019037e-2;
const C2: f64 = -1.38888888888741095749e-3;
const C3: f64 = 2.48015872894767294178e-5;
const C4: f64 = -2.75573143513906633035e-7;
const C5: f64 = 2.0875723212981748279e-9;
const C6: f64 = -1.13596475577881948265e-11;
const INV_PIO2: f64 = 6.36619772367581382433e-1;
const PIO2_1: f64 = 1.57079632673412561417;
const PIO2_1T: f64 = 6.07710050650619224932e-11;
// fdlibm __ieee754_exp.
const LN2_HI: f64 = 6.9314718036912381649e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.442695040888963387;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.6533902205465251539e-6;
const P5: f64 = 4.13813679705723846039e-8;

function sp(x: f64): v128 {
  return f64x2.splat(x);
}

/** Polynomial `c0 + z (c1 + z (...))` evaluated Horner-wise. */
function horner5(z: v128, a: f64, b: f64, c: f64, d: f64, e: f64): v128 {
  return f64x2.add(
    sp(a),
    f64x2.mul(
      z,
      f64x2.add(sp(b), f64x2.mul(z, f64x2.add(sp(c), f64x2.mul(z, f64x2.add(sp(d), f64x2.mul(z, sp(e))))))),
    ),
  );
}

/** Lane-wise round to nearest integer (as float64) of values well inside the int32 range. */
function rint(x: v128): v128 {
  return f64x2.nearest(x);
}

/** 2^k for integral float64 lanes k in [-1022, 1023]. */
function pow2(k: v128): v128 {
  const ki = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return i64x2.shl(i64x2.add(ki, i64x2.splat(1023)), 52);
}

/** exp(x) lane-wise (fdlibm's reduction and rational kernel; |x| below ~700). */
function vexp(x: v128): v128 {
  const k = rint(f64x2.mul(x, sp(INV_LN2)));
  const hi = f64x2.sub(x, f64x2.mul(k, sp(LN2_HI)));
  const lo = f64x2.mul(k, sp(LN2_LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  const c = f64x2.sub(r, f64x2.mul(t, horner5(t, P1, P2, P3, P4, P5)));
  const y = f64x2.sub(sp(1), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(sp(2), c))), hi));
  return f64x2.mul(y, pow2(k));
}

/** [sin x, cos x] lane-wise for moderate |x| (one Cody-Waite step, then the fdlibm kernels). */
function vsincos(x: v128, cosOut: usize): v128 {
  const n = rint(f64x2.mul(x, sp(INV_PIO2)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(n, sp(PIO2_1))), f64x2.mul(n, sp(PIO2_1T)));
  const z = f64x2.mul(r, r);
  const v = f64x2.mul(z, r);
  const sr = f64x2.add(r, f64x2.mul(v, f64x2.add(sp(S1), f64x2.mul(z, horner5(z, S2, S3, S4, S5, S6)))));
  const cr0 = f64x2.mul(z, f64x2.add(sp(C1), f64x2.mul(z, horner5(z, C2, C3, C4, C5, C6))));
  const hz = f64x2.mul(sp(0.5), z);
  const w = f64x2.sub(sp(1), hz);
  const cr = f64x2.add(w, f64x2.add(f64x2.sub(f64x2.sub(sp(1), w), hz), f64x2.mul(z, cr0)));
  // Quadrant n mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s).
  const q = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n));
  const swap = i64x2.ne(v128.and(q, i64x2.splat(1)), i64x2.splat(0));
  const negS = i64x2.shl(v128.and(q, i64x2.splat(2)), 62);
  const negC = i64x2.shl(v128.and(v128.xor(q, i64x2.shr_u(q, 1)), i64x2.splat(1)), 63);
  v128.store(cosOut, v128.xor(v128.bitselect(sr, cr, swap), negC));
  return v128.xor(v128.bitselect(cr, sr, swap), negS);
}

/**
 * dq[i] = sum over steps t of g_{plane(t)}(q[i]) * dy[t * n + i], the float64 sum in step order,
 * rounded to float32. kind: 0 fourier (alpha = harmonics), 1 sigsine, 2 tanhsine.
 */
export function backward(
  q: usize,
  dy: usize,
  dq: usize,
  n: i32,
  bits: i32,
  kind: i32,
  alpha: f64,
  harmonics: i32,
  offset: f64,
  scale: usize,
  stepPlane: usize,
  g: usize,
): void {
  const top = bits - 1;
  const topInvC: f64 = 1 / <f64>(1 << top);
  const cosTmp = g; // g[0] is written only after the cosine is read
  for (let i = 0; i < n; i += 2) {
    const last = i + 1 >= n;
    const at: usize = q + ((<usize>i) << 2);
    const qq = last ? f64x2.splat(<f64>load<f32>(at)) : f64x2.promote_low_f32x4(v128.load64_zero(at));
    let sin = vsincos(f64x2.mul(f64x2.mul(sp(PI), qq), sp(topInvC)), cosTmp);
    let cos = v128.load(cosTmp);
    for (let k = top; k >= 0; k--) {
      if (k < top) {
        const c2 = f64x2.sub(f64x2.mul(f64x2.mul(sp(2), cos), cos), sp(1));
        sin = f64x2.mul(f64x2.mul(sp(2), sin), cos);
        cos = c2;
      }
      const invC: f64 = 1 / <f64>(1 << k);
      let v: v128;
      if (kind == 0) {
        const c2 = f64x2.sub(f64x2.mul(f64x2.mul(sp(2), cos), cos), sp(1));
        let prev = cos;
        let cur = cos;
        let sum = sp(0);
        for (let h = 0; h < harmonics; h++) {
          sum = f64x2.add(sum, cur);
          const next = f64x2.sub(f64x2.mul(f64x2.mul(sp(2), c2), cur), prev);
          prev = cur;
          cur = next;
        }
        v = f64x2.sub(sp(offset), f64x2.mul(sp(2 * invC), sum));
      } else {
        const u = f64x2.mul(sp(alpha), sin);
        const slope = f64x2.mul(sp(alpha * PI * invC), cos);
        if (kind == 1) {
          const e = f64x2.div(sp(1), f64x2.add(sp(1), vexp(f64x2.neg(u))));
          v = f64x2.mul(f64x2.mul(e, f64x2.sub(sp(1), e)), slope);
        } else {
          const ex = vexp(u);
          const ch = f64x2.mul(sp(0.5), f64x2.add(ex, f64x2.div(sp(1), ex)));
          v = f64x2.mul(f64x2.div(sp(0.5), f64x2.mul(ch, ch)), slope);
        }
      }
      v128.store(g + ((<usize>k) << 4), f64x2.mul(v, f64x2.splat(load<f64>(scale + ((<usize>k) << 3)))));
    }
    let acc = sp(0);
    for (let t = 0; t < bits; t++) {
      const plane = load<i32>(stepPlane + ((<usize>t) << 2));
      const d: usize = dy + ((<usize>t * <usize>n + <usize>i) << 2);
      const dd = last ? f64x2.splat(<f64>load<f32>(d)) : f64x2.promote_low_f32x4(v128.load64_zero(d));
      acc = f64x2.add(acc, f64x2.mul(v128.load(g + ((<usize>plane) << 4)), dd));
    }
    const out = f32x4.demote_f64x2_zero(acc);
    const o: usize = dq + ((<usize>i) << 2);
    if (last) store<f32>(o, f32x4.extract_lane(out, 0));
    else v128.store64_lane(o, out, 0);
  }
}
