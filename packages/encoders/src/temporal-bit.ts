import * as tf from '@tensorflow/tfjs-core';
import { parseOptions, type OnnxLowering, type OnnxValue } from '@hybridspike/core';
import { z } from 'zod';
import { BitPlaneEncoder, bitPlaneFields } from './bitplane.js';
import { LatencyEncoder } from './latency.js';
import { bitPlanesOnnx, latencyOnnx, rescaleOnnx } from './onnx-lowering.js';
import { rescaleTo01 } from './rescale.js';
import type { SpikeEncoder } from './types.js';

/** The fields of {@link temporalBitOptions}: the bit-plane fields, plus the latency code's. */
export const temporalBitFields = {
  ...bitPlaneFields,
  /** Steps of the latency code appended after the planes (T = bits + latencySteps). Default 8. */
  latencySteps: z.number().int().min(2).max(1024).default(8),
  /** Width of the latency code's Gaussian surrogate bump, in steps. Default 0.5. */
  sigma: z.number().positive().default(0.5),
};
/** The schema of {@link TemporalBitOptions}. */
export const temporalBitOptions: z.ZodObject<typeof temporalBitFields> = z.object(temporalBitFields);
/** Options of {@link TemporalBitEncoder}: the bit-plane options, plus the latency code's. */
export type TemporalBitOptions = z.input<typeof temporalBitOptions>;

/**
 * Temporal-bit coding (after Luu et al., arXiv 2512.03879): the `bits` bit planes of
 * {@link BitPlaneEncoder} followed by a `latencySteps`-step latency code of
 * {@link LatencyEncoder} of the same rescaled input, so `T = bits + latencySteps`. The planes
 * carry the exact level, the latency part one early spike for bright inputs. The gradient is the
 * sum of both parts' surrogate gradients. `decodeBitPlane` of the first `bits` steps recovers
 * the level exactly.
 */
export class TemporalBitEncoder implements SpikeEncoder {
  readonly kind = 'temporal-bit';
  readonly options: Required<z.output<typeof temporalBitOptions>>;
  readonly planes: BitPlaneEncoder;
  readonly latency: LatencyEncoder;

  constructor(options: TemporalBitOptions = {}) {
    const o = parseOptions(temporalBitOptions, options, 'TemporalBitEncoder');
    const { latencySteps, sigma, ...planeOptions } = o;
    this.planes = new BitPlaneEncoder(planeOptions);
    this.latency = new LatencyEncoder({ steps: latencySteps, sigma, rescale: o.rescale });
    this.options = { ...o, alpha: this.planes.options.alpha };
  }

  get steps(): number {
    return this.options.bits + this.options.latencySteps;
  }

  /** ONNX: the planes and the latency code of one rescaled input, concatenated over time. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const x01 = rescaleOnnx(ctx, x, this.options.rescale);
    const a = bitPlanesOnnx(ctx, x01, this.options.bits, this.options.order);
    const b = latencyOnnx(ctx, x01, this.options.latencySteps, false);
    return {
      name: ctx.g.op('Concat', [a.name, b.name], { axis: 0 }, 'temporal_bit'),
      shape: [this.steps, ...x.shape],
    };
  }

  encode(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const x01 = rescaleTo01(x, this.options.rescale, 'TemporalBitEncoder');
      return tf.concat(
        [this.planes.encodeLevels(tf.mul(x01, this.planes.levels)), this.latency.encode01(x01)],
        0,
      );
    });
  }
}
