import * as tf from '@tensorflow/tfjs-core';
import { customGradOp, parseOptions, type OnnxLowering, type OnnxValue } from '@hybridspike/core';
import { z } from 'zod';
import { latencyOnnx, rescaleOnnx } from './onnx-lowering.js';
import { rescaleTo01, rescaleOption } from './rescale.js';
import type { SpikeEncoder } from './types.js';

/** The fields of {@link latencyOptions}, each documented once. */
export const latencyFields = {
  /** Time steps T (at least 2). Default 8. */
  steps: z.number().int().min(2).max(1024).default(8),
  /**
   * Mapping to [0, 1] first: `'tensor'` (default) min-max over the whole tensor unless every value
   * already lies in [0, 1]; `'sample'` min-max per sample; `'none'` as is. A constant tensor maps to ones.
   */
  rescale: rescaleOption,
  /** Emit a spike at t = T-1 where x01 == 0 too (default false: no spike there). */
  spikeOnZero: z.boolean().default(false),
  /** Width (in steps) of the Gaussian bump whose time derivative is the surrogate. Default 0.5. */
  sigma: z.number().positive().default(0.5),
};
/** The schema of {@link LatencyOptions}. */
export const latencyOptions: z.ZodObject<typeof latencyFields> = z.object(latencyFields);
/** Options of {@link LatencyEncoder}. */
export type LatencyOptions = z.input<typeof latencyOptions>;

/**
 * Latency (time-to-first-spike) coding: one spike per element at
 * `t = round((1 - x01) (T - 1))` (halves round up), none where `x01 == 0` unless `spikeOnZero`.
 *
 * Surrogate gradient: the spike is treated as a Gaussian bump in time,
 * `s_t ~ exp(-(t - tau)^2 / (2 sigma^2))` with `tau = (1 - x01)(T - 1)`, so
 * `d s_t / d x01 = -(T - 1) * exp(-(t - tau)^2 / (2 sigma^2)) * (t - tau) / sigma^2`
 * (zero where no spike is emitted).
 */
export class LatencyEncoder implements SpikeEncoder {
  readonly kind = 'latency';
  readonly options: Required<z.output<typeof latencyOptions>>;

  constructor(options: LatencyOptions = {}) {
    this.options = parseOptions(latencyOptions, options, 'LatencyEncoder');
  }

  get steps(): number {
    return this.options.steps;
  }

  encode(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.encode01(rescaleTo01(x, this.options.rescale, 'LatencyEncoder')));
  }

  /** ONNX: the rescale, the firing step `floor((1 - x01) (T - 1) + 0.5)`, one Equal per step. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const o = this.options;
    return latencyOnnx(ctx, rescaleOnnx(ctx, x, o.rescale), o.steps, o.spikeOnZero);
  }

  /** {@link LatencyEncoder.encode} of input already in [0, 1] (no rescale). */
  encode01(x01: tf.Tensor): tf.Tensor {
    const { steps: T, spikeOnZero, sigma } = this.options;
    const f = customGradOp(([p], save) => {
      if (!p) throw new Error('unreachable');
      save([p]);
      const pd = p.dataSync();
      const n = pd.length;
      const out = new Float32Array(T * n);
      for (let i = 0; i < n; i++) {
        if (pd[i]! === 0 && !spikeOnZero) continue;
        out[Math.round((1 - pd[i]!) * (T - 1)) * n + i] = 1;
      }
      const value = tf.tensor(out, [T, ...p.shape], 'float32');
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dyd = dy.dataSync();
        const ps = saved[0]!.dataSync();
        const g = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          if (ps[i]! === 0 && !spikeOnZero) continue;
          const tau = (1 - ps[i]!) * (T - 1);
          let acc = 0;
          for (let t = 0; t < T; t++) {
            const d = t - tau;
            acc += dyd[t * n + i]! * Math.exp((-d * d) / (2 * sigma * sigma)) * (d / (sigma * sigma));
          }
          g[i] = -(T - 1) * acc;
        }
        return [tf.tensor(g, saved[0]!.shape, 'float32')];
      };
      return { value, gradFunc };
    });
    return f(x01);
  }
}
