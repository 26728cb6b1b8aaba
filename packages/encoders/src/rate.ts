import * as tf from '@tensorflow/tfjs-core';
import { customGradOp, parseOptions, Rng } from '@hybridspike/core';
import { z } from 'zod';
import { rescaleTo01, rescaleOption } from './rescale.js';
import type { SpikeEncoder } from './types.js';

/** The fields of {@link rateOptions}, each documented once. */
export const rateFields = {
  /** Time steps T. Default 8. */
  steps: z.number().int().min(1).max(1024).default(8),
  /** Seed of the Bernoulli draws: the same seed gives the same spikes. Default 0. */
  seed: z.number().int().default(0),
  /**
   * Mapping to [0, 1] first: `'tensor'` (default) min-max over the whole tensor unless every value
   * already lies in [0, 1]; `'sample'` min-max per sample; `'none'` as is. A constant tensor maps to ones.
   */
  rescale: rescaleOption,
};
/** The schema of {@link RateOptions}. */
export const rateOptions: z.ZodObject<typeof rateFields> = z.object(rateFields);
/** Options of {@link RateEncoder}. */
export type RateOptions = z.input<typeof rateOptions>;

/**
 * Rate (Poisson/Bernoulli) coding: `s_t ~ Bernoulli(x01)` for T steps, from a seeded stream
 * (the same seed gives the same spikes). Gradient straight-through: `d s_t / d x01 = 1`.
 */
export class RateEncoder implements SpikeEncoder {
  readonly kind = 'rate';
  readonly options: Required<z.output<typeof rateOptions>>;
  private readonly rng: Rng;

  constructor(options: RateOptions = {}) {
    this.options = parseOptions(rateOptions, options, 'RateEncoder');
    this.rng = new Rng(this.options.seed);
  }

  get steps(): number {
    return this.options.steps;
  }

  /** The random stream's state (for checkpoints). */
  getRngState(): number[] {
    return this.rng.getState();
  }
  /** Continues the random stream from a stored state. */
  setRngState(state: number[]): void {
    this.rng.setState(state);
  }

  encode(x: tf.Tensor): tf.Tensor {
    const T = this.options.steps;
    return tf.tidy(() => {
      const x01 = rescaleTo01(x, this.options.rescale, 'RateEncoder');
      const f = customGradOp(([p]) => {
        if (!p) throw new Error('unreachable');
        const pd = p.dataSync();
        const n = pd.length;
        const out = new Float32Array(T * n);
        for (let t = 0; t < T; t++)
          for (let i = 0; i < n; i++) out[t * n + i] = this.rng.uniform() < pd[i]! ? 1 : 0;
        const value = tf.tensor(out, [T, ...p.shape], 'float32');
        return { value, gradFunc: (dy: tf.Tensor) => [tf.sum(dy, 0)] };
      });
      return f(x01);
    });
  }
}
