import type { Surrogate } from './surrogates.js';
import { simdLayout as layout } from '@hybridspike/core/internal/simd';
import { lifKernel } from './simd/lif-copy.js';

/** The per-element constants of a neuron's charge / fire / reset loop (DESIGN.md 4.4). */
export interface NeuronDynamics {
  /** 'if': `h = v + x`; 'lif': leaky charge with `k = 1 / tau`. */
  kind: 'if' | 'lif';
  /** `1 / tau` (PLIF: `sigmoid(w)`). Ignored by IF. */
  k: number;
  decayInput: boolean;
  vThreshold: number;
  /** Hard reset to this value; `null` = soft reset (subtract the threshold). */
  vReset: number | null;
  detachReset: boolean;
}

/** What the fused forward returns; `h` (pre-reset potentials) is what BPTT needs. */
export interface ForwardResult {
  spikes: Float32Array;
  h: Float32Array;
  vLast: Float32Array;
  spikeCount: number;
  /** Inputs that are NaN or infinite (counted by the SIMD kernel; undefined from the JS loop). */
  nonFinite?: number;
}

/**
 * Runs the neuron over T steps of N elements (`x` is time-major, `x[t * N + i]`), from state
 * `v0` (or `v_reset` / 0 when null). Time is the outer loop so every pass streams through
 * memory in order (the element-outer order was cache-bound); potentials are float32 like the
 * tensors, so the spike decision is the one an exported float32 graph makes.
 */
export function neuronForward(
  d: NeuronDynamics,
  x: Float32Array,
  T: number,
  N: number,
  v0: Float32Array | null,
): ForwardResult {
  const k = lifKernel();
  if (!k) return neuronForwardJs(d, x, T, N, v0);
  const vr = Math.fround(d.vReset ?? 0);
  const n = T * N;
  const [px, ph, ps, pv, pbad] = layout(k, [4 * n, 4 * n, 4 * n, 4 * N, 4]) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const mem = () => new Float32Array(k.memory.buffer);
  mem().set(x, px / 4);
  if (v0) mem().set(v0, pv / 4);
  else mem().fill(vr, pv / 4, pv / 4 + N);
  const count = k.forward(px, ph, ps, pv, T, N, ...forwardKernelArgs(d), pbad);
  const m = mem();
  return {
    spikes: m.slice(ps / 4, ps / 4 + n),
    h: m.slice(ph / 4, ph / 4 + n),
    vLast: m.slice(pv / 4, pv / 4 + N),
    spikeCount: count,
    nonFinite: new Int32Array(k.memory.buffer, pbad, 1)[0]!,
  };
}

/** {@link neuronForward} as a JavaScript loop (the reference the SIMD kernel must equal bit for bit). */
export function neuronForwardJs(
  d: NeuronDynamics,
  x: Float32Array,
  T: number,
  N: number,
  v0: Float32Array | null,
): ForwardResult {
  const spikes = new Float32Array(T * N);
  const h = new Float32Array(T * N);
  const f = Math.fround;
  // float32 constants and one rounding per op, in the op order of the ONNX export:
  // h = ((v * a) + (x * b)) + c, so an exported graph makes the same spike decisions.
  const vr = f(d.vReset ?? 0);
  const th = f(d.vThreshold);
  const { a: a64, b: b64, c: c64 } = chargeCoefficients(d);
  const a = f(a64);
  const b = f(b64);
  const c = f(c64);
  const hard = d.vReset !== null;
  const v = v0 ? Float32Array.from(v0) : new Float32Array(N).fill(vr);
  let count = 0;
  for (let t = 0; t < T; t++) {
    const base = t * N;
    for (let i = 0; i < N; i++) {
      const hf = f(f(f(v[i]! * a) + f(x[base + i]! * b)) + c);
      h[base + i] = hf;
      if (hf >= th) {
        spikes[base + i] = 1;
        count++;
        v[i] = hard ? vr : hf - th;
      } else {
        v[i] = hf;
      }
    }
  }
  return { spikes, h, vLast: v, spikeCount: count };
}

/** The SIMD forward kernel's arguments after T and N: float32 a, b, c, threshold, v_reset; hard reset. */
export function forwardKernelArgs(d: NeuronDynamics): number[] {
  const f = Math.fround;
  const { a, b, c } = chargeCoefficients(d);
  return [f(a), f(b), f(c), f(d.vThreshold), f(d.vReset ?? 0), d.vReset !== null ? 1 : 0];
}

/** The SIMD backward kernel's arguments after T and N (see assembly/lif.ts `backward`). */
export function backwardKernelArgs(d: NeuronDynamics, closed: NonNullable<Surrogate['kernel']>): number[] {
  const { a: dhdv, b: dhdx } = chargeCoefficients(d);
  const hard = d.vReset !== null ? 1 : 0;
  return [
    d.vReset ?? 0,
    d.vThreshold,
    hard,
    d.detachReset ? 0 : 1,
    dhdx,
    dhdv,
    closed.code,
    closed.p0,
    closed.p1,
  ];
}

/** The charge `h = a v + b x + c` of IF and both LIF forms (c carries v_reset). */
export function chargeCoefficients(d: NeuronDynamics): { a: number; b: number; c: number } {
  const vr = d.vReset ?? 0;
  if (d.kind === 'if') return { a: 1, b: 1, c: 0 };
  if (d.decayInput) return { a: 1 - d.k, b: d.k, c: d.k * vr };
  return { a: 1 - d.k, b: 1, c: d.k * vr };
}

/** Gradients of the fused op: inputs, initial state and `k` (for PLIF). */
export interface BackwardResult {
  dx: Float32Array;
  dv0: Float32Array;
  dk: number;
}

/** Inputs of {@link neuronBackward}: the forward's saved values and the upstream gradients. */
export interface BackwardInput {
  dynamics: NeuronDynamics;
  surrogate: Surrogate;
  /** Forward input, pre-reset membrane potentials and spikes, each `[T * N]`. */
  x: Float32Array;
  h: Float32Array;
  spikes: Float32Array;
  T: number;
  N: number;
  /** Initial membrane (null: v_reset). */
  v0: Float32Array | null;
  /** dL/dspikes `[T * N]`, and dL/dv_T when the final state is an output (else null). */
  dSpikes: Float32Array;
  dVLast: Float32Array | null;
  /** Also return dL/dk for a learnable charge coefficient (PLIF). */
  needDk?: boolean;
}

/**
 * Backpropagation through time by hand. With `g_v` the gradient arriving at `v_t`:
 * `dL/ds_t = dy_t + g_v dv/ds` (the reset path, cut by `detachReset`),
 * `dL/dh_t = dL/ds_t * sg(h_t - v_th) + g_v dv/dh`, then `dL/dx_t = dL/dh_t dh/dx` and
 * `g_v <- dL/dh_t dh/dv` for step t-1. Hard reset: `dv/dh = 1 - s`, `dv/ds = v_reset - h`;
 * soft: `dv/dh = 1`, `dv/ds = -v_th`. `needDk` also sums `dL/dk` (PLIF).
 */
export function neuronBackward(input: BackwardInput): BackwardResult {
  const k = lifKernel();
  const closed = input.surrogate.kernel;
  // PLIF's dL/dk and surrogates without a closed form in the kernel take the JavaScript loop.
  if (!k || !closed || input.needDk) return neuronBackwardJs(input);
  const { dynamics: d, h, spikes, T, N, dSpikes, dVLast } = input;
  const n = T * N;
  const [ph, ps, pds, pgv, pdx] = layout(k, [4 * n, 4 * n, 4 * n, 8 * N, 4 * n]) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const f32 = new Float32Array(k.memory.buffer);
  f32.set(h, ph / 4);
  f32.set(spikes, ps / 4);
  f32.set(dSpikes, pds / 4);
  const gv = new Float64Array(k.memory.buffer, pgv, N);
  if (dVLast) gv.set(dVLast);
  else gv.fill(0);
  k.backward(ph, ps, pds, pgv, pdx, T, N, ...backwardKernelArgs(d, closed));
  const out = new Float32Array(k.memory.buffer);
  return {
    dx: out.slice(pdx / 4, pdx / 4 + n),
    dv0: Float32Array.from(new Float64Array(k.memory.buffer, pgv, N)),
    dk: 0,
  };
}

/** {@link neuronBackward} as a JavaScript loop (the reference of the SIMD kernel; PLIF's dk). */
export function neuronBackwardJs(input: BackwardInput): BackwardResult {
  const { dynamics: d, surrogate, x, h, spikes, T, N, v0, dSpikes, dVLast, needDk = false } = input;
  const dx = new Float32Array(T * N);
  const vr = d.vReset ?? 0;
  const th = d.vThreshold;
  const hard = d.vReset !== null ? 1 : 0;
  const soft = 1 - hard;
  const { a: dhdv, b: dhdx } = chargeCoefficients(d);
  const grad = surrogate.grad;
  const keepReset = d.detachReset ? 0 : 1;
  const lif = needDk && d.kind === 'lif';
  const decay = d.decayInput ? 1 : 0;
  // gv[i]: gradient arriving at v_t; float64 to keep the accumulation over T exact enough.
  const gv = new Float64Array(N);
  if (dVLast) gv.set(dVLast);
  let dk = 0;
  for (let t = T - 1; t >= 0; t--) {
    const base = t * N;
    for (let i = 0; i < N; i++) {
      const idx = base + i;
      const hh = h[idx]!;
      const s = spikes[idx]!;
      const g = gv[i]!;
      // dv/ds = v_reset - h (hard) or -v_th (soft); dv/dh = 1 - s (hard) or 1 (soft)
      const gs = dSpikes[idx]! + keepReset * g * (hard * (vr - hh) - soft * th);
      const gh = gs * grad(hh - th) + g * (1 - hard * s);
      dx[idx] = gh * dhdx;
      gv[i] = gh * dhdv;
    }
    if (lif) {
      // PLIF only: dh/dk = x - (v_prev - v_reset) (decayInput) or -(v_prev - v_reset), with
      // v_prev rebuilt from h and s; dL/dh = dx / (dh/dx).
      for (let i = 0; i < N; i++) {
        const idx = base + i;
        let vPrev: number;
        if (t > 0) {
          const hp = h[idx - N]!;
          const sp = spikes[idx - N]!;
          vPrev = hp + sp * (hard * (vr - hp) - soft * th);
        } else {
          vPrev = v0 ? v0[i]! : vr;
        }
        dk += (dx[idx]! / dhdx) * (decay * x[idx]! - (vPrev - vr));
      }
    }
  }
  return { dx, dv0: Float32Array.from(gv), dk };
}
