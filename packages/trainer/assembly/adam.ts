// One Adam / AdamW step in SIMD WebAssembly (AssemblyScript; built into src/adam-wasm.generated.ts
// by scripts/build-wasm.mjs at the repository root). Each operation is the float32 operation of
// the tfjs op it replaces, in the same order with the same float32 constants (wasm never fuses a
// multiply and an add; sqrt and division are correctly rounded), so the same bits as the op path.
// Pointers are byte offsets of `[n]` float32 arrays; `l2` adds `wd * p` to the gradient, `decoupled`
// first scales `p` by `decay`.

export function step(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  pOut: usize,
  mOut: usize,
  vOut: usize,
  n: i32,
  b1: f32,
  ob1: f32,
  b2: f32,
  ob2: f32,
  eps: f32,
  wd: f32,
  decay: f32,
  sb2: f32,
  lr: f32,
  l2: i32,
  decoupled: i32,
): void {
  const B1 = f32x4.splat(b1);
  const OB1 = f32x4.splat(ob1);
  const B2 = f32x4.splat(b2);
  const OB2 = f32x4.splat(ob2);
  const EPS = f32x4.splat(eps);
  const WD = f32x4.splat(wd);
  const DECAY = f32x4.splat(decay);
  const SB2 = f32x4.splat(sb2);
  const LR = f32x4.splat(lr);
  const n4 = n & ~3;
  let at: usize = 0;
  for (let i = 0; i < n4; i += 4) {
    let pv = v128.load(p + at);
    let gv = v128.load(g + at);
    if (l2) gv = f32x4.add(gv, f32x4.mul(pv, WD));
    if (decoupled) pv = f32x4.mul(pv, DECAY);
    const mi = f32x4.add(f32x4.mul(v128.load(m + at), B1), f32x4.mul(gv, OB1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + at), B2), f32x4.mul(f32x4.mul(gv, gv), OB2));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), SB2), EPS);
    v128.store(mOut + at, mi);
    v128.store(vOut + at, vi);
    v128.store(pOut + at, f32x4.sub(pv, f32x4.mul(f32x4.div(mi, denom), LR)));
    at += 16;
  }
  for (let i = n4; i < n; i++) {
    let pv = load<f32>(p + at);
    let gv = load<f32>(g + at);
    if (l2) gv = gv + pv * wd;
    if (decoupled) pv = pv * decay;
    const mi = load<f32>(m + at) * b1 + gv * ob1;
    const vi = load<f32>(v + at) * b2 + gv * gv * ob2;
    const denom = Mathf.sqrt(vi) / sb2 + eps;
    store<f32>(mOut + at, mi);
    store<f32>(vOut + at, vi);
    store<f32>(pOut + at, pv - (mi / denom) * lr);
    at += 4;
  }
}
