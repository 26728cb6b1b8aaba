// The fused neuron loops of src/dynamics.ts in SIMD WebAssembly (AssemblyScript; built into
// src/lif-wasm.generated.ts by scripts/build-wasm.mjs). Same float32 / float64 operations in the
// same order as the JavaScript loops, so results are bit-identical (tested).
// Memory layout is the caller's: every pointer is a byte offset into this module's memory.

/**
 * Forward over T steps of N elements: `h = ((v * a) + (x * b)) + c` in float32, spike when
 * `h >= th`, then hard (`v = vr`) or soft (`v = h - th`) reset. Writes h and spikes `[T * N]`,
 * updates v `[N]` in place, returns the spike count; the number of non-finite inputs goes to
 * the i32 at `bad`.
 */
export function forward(
  x: usize,
  h: usize,
  s: usize,
  v: usize,
  T: i32,
  N: i32,
  a: f32,
  b: f32,
  c: f32,
  th: f32,
  vr: f32,
  hard: i32,
  bad: usize,
): i32 {
  const inf = f32x4.splat(Infinity);
  let nonFinite = i32x4.splat(0);
  let scalarBad: i32 = 0;
  const va = f32x4.splat(a);
  const vb = f32x4.splat(b);
  const vc = f32x4.splat(c);
  const vth = f32x4.splat(th);
  const vvr = f32x4.splat(vr);
  const one = f32x4.splat(1.0);
  let count = i32x4.splat(0);
  let scalarCount: i32 = 0;
  const n4 = N & ~3;
  for (let t = 0; t < T; t++) {
    const base: usize = (<usize>t * <usize>N) << 2;
    let i = 0;
    for (; i < n4; i += 4) {
      const off: usize = (<usize>i) << 2;
      const vi = v128.load(v + off);
      const xi = v128.load(x + base + off);
      nonFinite = i32x4.sub(nonFinite, v128.or(f32x4.ne(xi, xi), f32x4.eq(f32x4.abs(xi), inf)));
      const hi = f32x4.add(f32x4.add(f32x4.mul(vi, va), f32x4.mul(xi, vb)), vc);
      const fire = f32x4.ge(hi, vth);
      v128.store(h + base + off, hi);
      v128.store(s + base + off, v128.and(fire, one));
      count = i32x4.sub(count, fire);
      const after = hard ? vvr : f32x4.sub(hi, vth);
      v128.store(v + off, v128.bitselect(after, hi, fire));
    }
    for (; i < N; i++) {
      const off: usize = (<usize>i) << 2;
      const xs = load<f32>(x + base + off);
      if (xs != xs || Mathf.abs(xs) == Infinity) scalarBad++;
      const hi: f32 = load<f32>(v + off) * a + xs * b + c;
      store<f32>(h + base + off, hi);
      if (hi >= th) {
        store<f32>(s + base + off, 1.0);
        scalarCount++;
        store<f32>(v + off, hard ? vr : hi - th);
      } else {
        store<f32>(s + base + off, 0.0);
        store<f32>(v + off, hi);
      }
    }
  }
  store<i32>(
    bad,
    i32x4.extract_lane(nonFinite, 0) +
      i32x4.extract_lane(nonFinite, 1) +
      i32x4.extract_lane(nonFinite, 2) +
      i32x4.extract_lane(nonFinite, 3) +
      scalarBad,
  );
  return (
    i32x4.extract_lane(count, 0) +
    i32x4.extract_lane(count, 1) +
    i32x4.extract_lane(count, 2) +
    i32x4.extract_lane(count, 3) +
    scalarCount
  );
}

/** Surrogate derivative at x (f64x2), closed forms of src/surrogates.ts in their op order. */
function surrogate(kind: i32, x: v128, p0: v128, p1: v128, one: v128): v128 {
  if (kind == 0) {
    // atan: (alpha / 2) / (1 + (c x) (c x)), p0 = alpha / 2, p1 = c
    const cx = f64x2.mul(p1, x);
    return f64x2.div(p0, f64x2.add(one, f64x2.mul(cx, cx)));
  }
  if (kind == 1) {
    // fastSigmoid: d = slope |x| + 1; 1 / (d d), p0 = slope
    const d = f64x2.add(f64x2.mul(p0, f64x2.abs(x)), one);
    return f64x2.div(one, f64x2.mul(d, d));
  }
  // triangle: max(0, 1 - |x| / width) / width, p0 = width
  return f64x2.div(f64x2.max(f64x2.splat(0), f64x2.sub(one, f64x2.div(f64x2.abs(x), p0))), p0);
}

/**
 * Backpropagation through time (float64 like the JavaScript loop): reads h, spikes and dL/dspikes
 * `[T * N]` (float32), the gradient at v_T in gv `[N]` (float64, updated in place down to v_0),
 * writes dL/dx `[T * N]` (float32). See neuronBackward in src/dynamics.ts for the formulas.
 */
export function backward(
  h: usize,
  s: usize,
  ds: usize,
  gv: usize,
  dx: usize,
  T: i32,
  N: i32,
  vr: f64,
  th: f64,
  hard: f64,
  keepReset: f64,
  dhdx: f64,
  dhdv: f64,
  kind: i32,
  p0: f64,
  p1: f64,
): void {
  const soft = 1 - hard;
  const vvr = f64x2.splat(vr);
  const vth = f64x2.splat(th);
  const vhard = f64x2.splat(hard);
  const vsoft = f64x2.splat(soft);
  const vkeep = f64x2.splat(keepReset);
  const vdhdx = f64x2.splat(dhdx);
  const vdhdv = f64x2.splat(dhdv);
  const vp0 = f64x2.splat(p0);
  const vp1 = f64x2.splat(p1);
  const one = f64x2.splat(1.0);
  const n2 = N & ~1;
  for (let t = T - 1; t >= 0; t--) {
    const base: usize = <usize>t * <usize>N;
    let i = 0;
    for (; i < n2; i += 2) {
      const idx: usize = base + <usize>i;
      const hh = f64x2.promote_low_f32x4(v128.load64_zero(h + (idx << 2)));
      const sp = f64x2.promote_low_f32x4(v128.load64_zero(s + (idx << 2)));
      const dsp = f64x2.promote_low_f32x4(v128.load64_zero(ds + (idx << 2)));
      const g = v128.load(gv + ((<usize>i) << 3));
      const inner = f64x2.sub(f64x2.mul(vhard, f64x2.sub(vvr, hh)), f64x2.mul(vsoft, vth));
      const gs = f64x2.add(dsp, f64x2.mul(f64x2.mul(vkeep, g), inner));
      const sg = surrogate(kind, f64x2.sub(hh, vth), vp0, vp1, one);
      const gh = f64x2.add(f64x2.mul(gs, sg), f64x2.mul(g, f64x2.sub(one, f64x2.mul(vhard, sp))));
      v128.store64_lane(dx + (idx << 2), f32x4.demote_f64x2_zero(f64x2.mul(gh, vdhdx)), 0);
      v128.store(gv + ((<usize>i) << 3), f64x2.mul(gh, vdhdv));
    }
    for (; i < N; i++) {
      const idx: usize = base + <usize>i;
      const hh = <f64>load<f32>(h + (idx << 2));
      const sp = <f64>load<f32>(s + (idx << 2));
      const g = load<f64>(gv + ((<usize>i) << 3));
      const gs = <f64>load<f32>(ds + (idx << 2)) + keepReset * g * (hard * (vr - hh) - soft * th);
      const x2 = f64x2.splat(hh - th);
      const sg = f64x2.extract_lane(surrogate(kind, x2, vp0, vp1, one), 0);
      const gh = gs * sg + g * (1 - hard * sp);
      store<f32>(dx + (idx << 2), <f32>(gh * dhdx));
      store<f64>(gv + ((<usize>i) << 3), gh * dhdv);
    }
  }
}
