import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  customGradOp,
  HybridSpikeError,
  Module,
  parseOptions,
  peekFloats,
  type OnnxGraph,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import { chargeCoefficients, neuronBackward, neuronForward, type NeuronDynamics } from './dynamics.js';
import { neuronBackwardOnHeap, neuronForwardOnHeap } from './simd/lif-heap.js';
import {
  neuronOptions,
  resolveSurrogate,
  type NeuronOptions,
  type ResolvedNeuronOptions,
} from './options.js';
import type { Surrogate } from './surrogates.js';

function checkNoNaN(d: ArrayLike<number>, who: string): void {
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!))
      throw new HybridSpikeError('NON_FINITE', `${who} input holds ${d[i]} at flat index ${i}.`);
  }
}

/**
 * Base of IF / LIF / PLIF. `forward(x)` is multi-step: `x` is time-major `[T, B, ...]`, the
 * state starts at `v_reset` (0 for soft reset) on every call, so nothing leaks between batches,
 * and the whole loop over T is one fused op with a hand-written BPTT backward.
 * `step(x)` is single-step: `[B, ...]` in, spikes out, state kept (with its gradient) until
 * {@link Module.resetState}.
 */
export abstract class SpikingNeuron extends Module {
  readonly options: ResolvedNeuronOptions;
  readonly surrogate: Surrogate;
  /** Fraction of elements that spiked in the last forward (or step). */
  lastFiringRate = 0;
  /** Number of spikes in the last forward, and of neuron-steps it ran. */
  lastSpikeCount = 0;
  lastNeuronSteps = 0;
  /** Keep each forward's membrane potentials in {@link lastMembrane} (starts as the option). */
  recordMembrane: boolean;
  /** Pre-reset membrane potentials `h` of the last forward, time-major (when `recordMembrane`). */
  lastMembrane: Float32Array | undefined;
  /** Shape `[T, ...]` that {@link lastMembrane} is laid out in. */
  lastMembraneShape: number[] | undefined;
  private v: tf.Tensor | null = null;

  constructor(options: NeuronOptions = {}, who = 'neuron') {
    super();
    const { surrogate, ...rest } = parseOptions(neuronOptions, options, who);
    this.options = rest;
    this.recordMembrane = rest.recordMembrane;
    this.surrogate = resolveSurrogate(surrogate as never);
  }

  /** 'if' or 'lif'. */
  protected abstract readonly kind: 'if' | 'lif';

  /** `1 / tau` as a differentiable scalar (PLIF), or null when it is a constant. */
  protected learnableK(): tf.Tensor | null {
    return null;
  }

  /** The current `1 / tau`. */
  get k(): number {
    return 1 / this.options.tau;
  }

  /** Time-major multi-step forward `[T, B, ...] -> [T, B, ...]` spikes. */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 2);
    return this.run(x, x.shape[0]!, null, false);
  }

  /** Single-step forward `[B, ...] -> [B, ...]`; the state carries over until `resetState()`. */
  step(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName}.step input`, 1);
    if (this.v && !tf.util.arraysEqual(this.v.shape, x.shape)) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `${this.typeName}.step got input [${x.shape}] but its state is [${this.v.shape}]; call resetState() before a batch of another shape.`,
      );
    }
    const both = this.run(tf.expandDims(x, 0), 1, this.v, true);
    const [s, v] = tf.unstack(both, 0) as [tf.Tensor, tf.Tensor];
    const old = this.v;
    this.v = tf.keep(v);
    if (old) old.dispose();
    both.dispose();
    return s;
  }

  /** The membrane potential kept by {@link step}, or null after a reset. */
  get state(): tf.Tensor | null {
    return this.v;
  }

  protected override onResetState(): void {
    if (this.v) this.v.dispose();
    this.v = null;
  }

  /**
   * ONNX: the neuron unrolled over T, per step `h = (v*a + x*b) + c`, `s = Cast(h >= v_th)`,
   * then the reset (see resetOnnx): the fused loop's op order, so both round alike and take the
   * same spike decisions. `[T, N, ...]` in and out.
   */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const g = ctx.g;
    const path = ctx.pathOf(this);
    const T = x.shape[0] as number;
    const d = this.dynamics();
    const { a, b, c } = chargeCoefficients(d);
    const { vThreshold: th, vReset } = d;
    const xs = g.opMulti('Split', [x.name], T, { axis: 0 }, `${path}/x`);
    let v: string = g.floatConst(vReset ?? 0);
    const th0 = g.floatConst(th);
    const steps: string[] = [];
    for (let t = 0; t < T; t++) {
      const terms = [g.op('Mul', [v, g.floatConst(a)]), g.op('Mul', [xs[t]!, g.floatConst(b)])];
      // `+ c` only where c != 0 (adding 0 changes nothing but the sign of a zero).
      const h =
        c === 0
          ? g.op('Add', terms, {}, `${path}/h${t}`)
          : g.op('Add', [g.op('Add', terms), g.floatConst(c)], {}, `${path}/h${t}`);
      const fire = g.op('GreaterOrEqual', [h, th0], {}, `${path}/fire${t}`);
      const s = g.op('Cast', [fire], { to: 1 }, `${path}/s${t}`);
      steps.push(s);
      if (t < T - 1) v = resetOnnx(g, h, fire, s, th0, vReset, `${path}/v${t}`);
    }
    const out = { name: g.op('Concat', steps, { axis: 0 }, `${path}/spikes`), shape: x.shape };
    ctx.spikes(this, out);
    return out;
  }

  dynamics(k = this.k): NeuronDynamics {
    const o = this.options;
    return {
      kind: this.kind,
      k,
      decayInput: o.decayInput,
      vThreshold: o.vThreshold,
      vReset: o.vReset,
      detachReset: o.detachReset,
    };
  }

  private run(x: tf.Tensor, T: number, v0: tf.Tensor | null, returnState: boolean): tf.Tensor {
    return tf.tidy(() => this.runFused(x, T, v0, returnState, this.learnableK()));
  }

  private runFused(
    x: tf.Tensor,
    T: number,
    v0: tf.Tensor | null,
    returnState: boolean,
    kT: tf.Tensor | null,
  ): tf.Tensor {
    const inputs = [x, ...(v0 ? [v0] : []), ...(kT ? [kT] : [])];
    // PLIF's dL/dk and surrogates without a closed form in the kernel need the JavaScript
    // backward, which reads arrays: they take the copying path.
    const inPlace = !kT && this.surrogate.kernel !== undefined;
    const op = customGradOp((ins, save) => {
      const onHeap = inPlace ? this.forwardOnHeap(ins[0]!, T, v0 ? ins[1]! : null, returnState, save) : null;
      if (onHeap) return onHeap;
      // Read in place (no copy) unless PLIF's backward needs x later; no tfjs op runs before the
      // forward has read it.
      const xd = kT ? (ins[0]!.dataSync() as Float32Array) : peekFloats(ins[0]!);
      const N = xd.length / T;
      const v0d = v0 ? (ins[1]!.dataSync() as Float32Array) : null;
      const dyn = this.dynamics(kT ? ins[ins.length - 1]!.dataSync()[0]! : this.k);
      const r = neuronForward(dyn, xd, T, N, v0d);
      // The SIMD kernel counts non-finite inputs (the scan then only names the first); the
      // JavaScript loop does not count (undefined), so the scan runs.
      if (r.nonFinite !== 0) checkNoNaN(xd, this.typeName);
      const xSaved = kT ? xd : new Float32Array(0);
      this.lastSpikeCount = r.spikeCount;
      this.lastNeuronSteps = T * N;
      this.lastFiringRate = r.spikeCount / (T * N);
      this.lastMembrane = this.recordMembrane ? r.h : undefined;
      this.lastMembraneShape = this.recordMembrane ? x.shape : undefined;
      let value: tf.Tensor;
      if (returnState) {
        const out = new Float32Array((T + 1) * N);
        out.set(r.spikes);
        out.set(r.vLast, T * N);
        value = tf.tensor(out, [T + 1, ...x.shape.slice(1)], 'float32');
      } else {
        value = tf.tensor(r.spikes, x.shape, 'float32');
      }
      const gradFunc = (dy: tf.Tensor) => {
        const dyd = peekFloats(dy);
        const b = neuronBackward({
          dynamics: dyn,
          surrogate: this.surrogate,
          x: xSaved,
          h: r.h,
          spikes: r.spikes,
          T,
          N,
          v0: v0d,
          dSpikes: dyd.subarray(0, T * N),
          dVLast: returnState ? dyd.subarray(T * N) : null,
          needDk: kT !== null,
        });
        const grads = [tf.tensor(b.dx, x.shape, 'float32')];
        if (v0) grads.push(tf.tensor(b.dv0, v0.shape, 'float32'));
        if (kT) grads.push(tf.fill(kT.shape, b.dk, 'float32'));
        return grads;
      };
      return { value, gradFunc };
    });
    return op(...inputs);
  }

  /** {@link runFused}'s forward and backward in place on tfjs-wasm's heap (null: not there). */
  private forwardOnHeap(
    x: tf.Tensor,
    T: number,
    v0: tf.Tensor | null,
    returnState: boolean,
    save: tf.GradSaveFunc,
  ): { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } | null {
    const dyn = this.dynamics();
    const r = neuronForwardOnHeap(dyn, x, T, v0, returnState);
    if (!r) return null;
    const N = x.size / T;
    if (r.nonFinite !== 0) checkNoNaN(peekFloats(x), this.typeName);
    this.lastSpikeCount = r.spikeCount;
    this.lastNeuronSteps = T * N;
    this.lastFiringRate = r.spikeCount / (T * N);
    this.lastMembrane = this.recordMembrane ? (r.h.dataSync() as Float32Array) : undefined;
    this.lastMembraneShape = this.recordMembrane ? x.shape : undefined;
    save([r.h, r.value]);
    const gradFunc = (dy: tf.Tensor, [h, value]: tf.Tensor[]) => {
      const b = neuronBackwardOnHeap(dyn, this.surrogate, { h: h!, spikes: value!, dy }, T, N, v0 !== null);
      // Only a backend switch between forward and backward could take the tensors off the heap.
      if (!b)
        throw new Error(`${this.typeName}: the gradient's tensors left the wasm heap after the forward`);
      return [tf.reshape(b.dx, x.shape), ...(b.dv0 ? [tf.reshape(b.dv0, v0!.shape)] : [])];
    };
    return { value: r.value, gradFunc };
  }
}

/**
 * The membrane after a step in ONNX ops: hard reset to 0 as `h - h*s` (exact: +0 where it fired,
 * h elsewhere; onnxruntime runs Where with a scalar ~5x slower than Mul, and Where was 13% of an
 * exported has8Vgg's inference; only an infinite h differs, NaN instead of 0), to another v_reset
 * by `Where`, soft reset `h - s*v_th`.
 */
function resetOnnx(
  g: OnnxGraph,
  h: string,
  fire: string,
  s: string,
  th0: string,
  vReset: number | null,
  name: string,
): string {
  if (vReset === null) return g.op('Sub', [h, g.op('Mul', [s, th0])], {}, name);
  if (vReset === 0) return g.op('Sub', [h, g.op('Mul', [h, s])], {}, name);
  return g.op('Where', [fire, g.floatConst(vReset), h], {}, name);
}

/**
 * Integrate-and-fire: `h = v + x`, spike `H(h - v_th)` (H(0) = 1), hard reset to `v_reset`
 * or soft reset `v = h - v_th`.
 */
export class IF extends SpikingNeuron {
  protected readonly kind = 'if';
  constructor(options: NeuronOptions = {}) {
    super(options, 'IF');
  }
}

/**
 * Leaky integrate-and-fire, SpikingJelly semantics: `h = v + (x - (v - v_reset)) / tau`
 * (`decayInput`), spike `s = H(h - v_th)`, reset `v = h (1 - s) + v_reset s`.
 *
 * @example
 * ```ts
 * const lif = new LIF({ tau: 2, surrogate: atan(2) });
 * const spikes = lif.forward(x); // x: [T, B, C, H, W]
 * ```
 */
export class LIF extends SpikingNeuron {
  protected readonly kind = 'lif';
  constructor(options: NeuronOptions = {}) {
    super(options, 'LIF');
  }
}

/**
 * Parametric LIF (Fang et al. 2021): LIF with a learnable `w`, `tau = 1 / sigmoid(w)`,
 * initialised so that `tau` equals the `tau` option (default 2, i.e. `w = 0`).
 */
export class PLIF extends SpikingNeuron {
  protected readonly kind = 'lif';
  readonly w: tf.Variable;
  constructor(options: NeuronOptions = {}) {
    super(options, 'PLIF');
    const k0 = 1 / this.options.tau;
    this.w = this.addParameter('w', tf.scalar(Math.log(k0 / (1 - k0 || 1e-12))));
  }
  protected override learnableK(): tf.Tensor {
    return tf.sigmoid(this.w);
  }
  override get k(): number {
    return 1 / (1 + Math.exp(-this.w.dataSync()[0]!));
  }
  /** The current time constant `1 / sigmoid(w)`. */
  get tau(): number {
    return 1 / this.k;
  }
}
