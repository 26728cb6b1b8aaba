import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  HybridSpikeError,
  Module,
  parseOptions,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import type { NeuronDynamics } from './dynamics.js';
import { neuronToOnnx } from './neuron-onnx.js';
import { runNeuron } from './neuron-op.js';
import {
  neuronOptions,
  resolveSurrogate,
  type NeuronOptions,
  type ResolvedNeuronOptions,
} from './options.js';
import type { Surrogate } from './surrogates.js';

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

  /** ONNX: the neuron unrolled over T, in the fused loop's op order (`neuronToOnnx`). */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return neuronToOnnx(ctx, this, this.dynamics(), x);
  }

  /** The constants of this neuron's charge / fire / reset loop, with decay `k` (PLIF: its learnt one). */
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
    return tf.tidy(() =>
      runNeuron({
        x,
        T,
        v0,
        returnState,
        kT: this.learnableK(),
        dynamics: (k) => this.dynamics(k),
        surrogate: this.surrogate,
        who: this.typeName,
        recordMembrane: this.recordMembrane,
        report: (r) => {
          this.lastSpikeCount = r.spikeCount;
          this.lastNeuronSteps = r.neuronSteps;
          this.lastFiringRate = r.spikeCount / r.neuronSteps;
          this.lastMembrane = r.membrane;
          this.lastMembraneShape = r.membrane ? x.shape : undefined;
        },
      }),
    );
  }
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
