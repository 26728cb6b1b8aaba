import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError, parseOptions } from '@hybridspike/core';
import { heapSimdModule, type SimdExports } from '@hybridspike/core/internal/simd';
import { z } from 'zod';
import { ADAM_WASM } from './simd/adam.generated.js';

interface AdamExports extends SimdExports {
  /** p, g, m, v, pOut, mOut, vOut, n, then the float32 constants and the two flags. */
  step(...args: number[]): void;
}

/** Named per-parameter state tensors (`<param>.<slot>`) and scalars, for checkpoints. */
export interface OptimizerState {
  tensors: Map<string, tf.Tensor>;
  scalars: Record<string, number>;
}

/** Updates parameters in place from their gradients, with PyTorch semantics. */
export interface Optimizer {
  /** Short lower-case name (`adam`, `adamw`, `sgd`), as checkpoints record it. */
  readonly name: string;
  /** Current learning rate (schedules set it). */
  lr: number;
  /** One update of every parameter that has a gradient (by name); others are left alone. */
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void;
  /** The state a checkpoint needs to continue exactly (moments, step count, learning rate). */
  getState(): OptimizerState;
  /** Continues from a checkpoint's state; the tensors are copied. */
  setState(state: OptimizerState): void;
  /** Frees the state tensors. */
  dispose(): void;
}

abstract class SlotOptimizer implements Optimizer {
  abstract readonly name: string;
  lr: number;
  protected t = 0;
  protected readonly slots = new Map<string, tf.Variable>();
  constructor(lr: number) {
    this.lr = lr;
  }
  protected slot(param: string, name: string, like: tf.Tensor): tf.Variable {
    const key = `${param}.${name}`;
    let v = this.slots.get(key);
    if (!v) this.slots.set(key, (v = tf.variable(tf.zerosLike(like), false)));
    return v;
  }
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    this.t++;
    tf.tidy(() => {
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (!g) continue;
        this.update(name, p, g);
      }
    });
  }
  protected abstract update(name: string, p: tf.Variable, g: tf.Tensor): void;
  getState(): OptimizerState {
    return { tensors: new Map(this.slots), scalars: { t: this.t, lr: this.lr } };
  }
  setState(state: OptimizerState): void {
    this.dispose();
    for (const [k, v] of state.tensors) this.slots.set(k, tf.variable(v, false));
    this.t = state.scalars.t ?? 0;
    if (state.scalars.lr !== undefined) this.lr = state.scalars.lr;
  }
  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/** Options of {@link Adam} and {@link AdamW} (lr 1e-3, betas 0.9/0.999, eps 1e-8, weightDecay 0). */
export const adamOptions = z.object({
  lr: z.number().positive().default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  weightDecay: z.number().min(0).default(0),
});

/**
 * Adam as torch.optim.Adam: `weightDecay` adds `wd * p` to the gradient (L2), bias-corrected
 * moments, `p -= lr * m_hat / (sqrt(v_hat) + eps)`.
 */
export class Adam extends SlotOptimizer {
  readonly name: string = 'adam';
  readonly o: z.output<typeof adamOptions>;
  constructor(options: z.input<typeof adamOptions> = {}) {
    const o = parseOptions(adamOptions, options, 'Adam');
    super(o.lr);
    this.o = o;
  }
  protected decoupled = false;
  /** Whether a step may run as one SIMD pass on the wasm heap (tests turn it off to compare). */
  fused = true;
  protected update(name: string, p: tf.Variable, g0: tf.Tensor): void {
    const { beta1, beta2, eps, weightDecay: wd } = this.o;
    if (this.fused && g0.dtype === 'float32' && this.updateFused(name, p, g0)) return;
    let g = g0;
    if (wd && !this.decoupled) g = tf.add(g, tf.mul(p, wd));
    if (wd && this.decoupled) p.assign(tf.mul(p, 1 - this.lr * wd));
    const m = this.slot(name, 'exp_avg', p);
    const v = this.slot(name, 'exp_avg_sq', p);
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
    p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
  }

  /**
   * {@link update} as one SIMD pass (assembly/adam.ts) over the parameter, its gradient and both
   * moments, writing new tensors on the wasm heap (~10 elementwise kernels, a pass each, before),
   * with the op path's float32 operations and constants: the same bits. False where it cannot run.
   */
  private updateFused(name: string, p: tf.Variable, g0: tf.Tensor): boolean {
    const on = heapSimdModule<AdamExports>(ADAM_WASM);
    if (!on) return false;
    const { beta1, beta2, eps, weightDecay: wd } = this.o;
    const m = this.slot(name, 'exp_avg', p);
    const v = this.slot(name, 'exp_avg_sq', p);
    const ins = on.heap.offsetsOf([p, g0, m, v]);
    if (!ins) return false;
    const outs = [0, 1, 2].map(() => on.heap.alloc(p.shape));
    on.k.step(
      ...ins,
      ...outs.map((o) => o.offset),
      p.size,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      eps,
      wd,
      1 - this.lr * wd,
      Math.sqrt(1 - beta2 ** this.t),
      this.lr / (1 - beta1 ** this.t),
      wd !== 0 && !this.decoupled ? 1 : 0,
      wd !== 0 && this.decoupled ? 1 : 0,
    );
    const [p1, m1, v1] = outs.map((o) => o.tensor) as [tf.Tensor, tf.Tensor, tf.Tensor];
    m.assign(m1);
    v.assign(v1);
    p.assign(p1);
    return true;
  }
}

/** AdamW as torch.optim.AdamW: decoupled decay `p *= 1 - lr * wd` before the Adam step (default wd 0.01). */
export class AdamW extends Adam {
  override readonly name = 'adamw';
  constructor(options: z.input<typeof adamOptions> = {}) {
    super({ weightDecay: 0.01, ...options });
    this.decoupled = true;
  }
}

/** Options of {@link SGD} (lr 0.1, momentum 0, nesterov false, weightDecay 0). */
export const sgdOptions = z.object({
  lr: z.number().positive().default(0.1),
  momentum: z.number().min(0).default(0),
  nesterov: z.boolean().default(false),
  weightDecay: z.number().min(0).default(0),
});

/** SGD as torch.optim.SGD (dampening 0): `buf = mu buf + g` (buf = g at first), Nesterov `g + mu buf`. */
export class SGD extends SlotOptimizer {
  readonly name = 'sgd';
  readonly o: z.output<typeof sgdOptions>;
  constructor(options: z.input<typeof sgdOptions> = {}) {
    const o = parseOptions(sgdOptions, options, 'SGD');
    if (o.nesterov && o.momentum <= 0)
      throw new HybridSpikeError('BAD_OPTIONS', 'SGD: nesterov needs a momentum > 0.');
    super(o.lr);
    this.o = o;
  }
  protected update(name: string, p: tf.Variable, g0: tf.Tensor): void {
    const { momentum: mu, nesterov, weightDecay: wd } = this.o;
    let g = wd ? tf.add(g0, tf.mul(p, wd)) : g0;
    if (mu > 0) {
      const buf = this.slot(name, 'momentum_buffer', p);
      buf.assign(this.t === 1 ? g : tf.add(tf.mul(buf, mu), g));
      g = nesterov ? tf.add(g, tf.mul(buf, mu)) : buf;
    }
    p.assign(tf.sub(p, tf.mul(g, this.lr)));
  }
}
