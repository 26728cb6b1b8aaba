import * as tf from '@tensorflow/tfjs-core';
import { customGradOp, parseOptions, type OnnxLowering, type OnnxValue } from '@hybridspike/core';
import { z } from 'zod';
import { latencyOnnx, rescaleOnnx } from './onnx-lowering.js';
import { rescaleTo01, rescaleOption } from './rescale.js';
import type { SameOptions, SpikeEncoder } from './types.js';

export const latencyOptions = z.object({
  steps: z.number().int().min(2).max(1024).default(8),
  rescale: rescaleOption,
  /** Emit a spike at t = T-1 for x01 == 0 too (default: no spike there). */
  spikeOnZero: z.boolean().default(false),
  /** Width (in steps) of the Gaussian bump whose derivative is the surrogate. */
  sigma: z.number().positive().default(0.5),
});
/** Options of {@link LatencyEncoder}. */
export interface LatencyOptions {
  /** Time steps T (at least 2). Default 8. */
  steps?: number;
  /** Mapping to [0, 1] first: `'tensor'` (default) min-max over the whole tensor unless all values lie in [0, 1]; `'sample'` per sample; `'none'` as is. */
  rescale?: 'tensor' | 'sample' | 'none';
  /** Emit a spike at t = T-1 where x01 == 0 too (default false: no spike there). */
  spikeOnZero?: boolean;
  /** Width (in steps) of the Gaussian bump whose time derivative is the surrogate. Default 0.5. */
  sigma?: number;
}
const latencySchemaMatches: SameOptions<z.input<typeof latencyOptions>, LatencyOptions> = true;
void latencySchemaMatches;

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

  /** Encodes values already in [0, 1]. */
  /** ONNX: the rescale, the firing step `floor((1 - x01) (T - 1) + 0.5)`, one Equal per step. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const o = this.options;
    return latencyOnnx(ctx, rescaleOnnx(ctx, x, o.rescale), o.steps, o.spikeOnZero);
  }

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
