import * as tf from '@tensorflow/tfjs-core';
import {
  customGradOp,
  floatTensor,
  HybridSpikeError,
  parseOptions,
  peekFloats,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import { z } from 'zod';
import { DEFAULT_ALPHA, makePlaneSurrogate, type BitPlaneSurrogate } from './bitplane-surrogates.js';
import { bitPlanesOnnx, rescaleOnnx } from './onnx-lowering.js';
import { planeSurrogateBackwardOnHeap } from './simd/plane-surrogate.js';
import { encodePlanesOnHeap } from './simd/planes.js';
import { rescaleTo01, rescaleOption } from './rescale.js';
import type { SpikeEncoder } from './types.js';

/** The fields of {@link bitPlaneOptions}, each documented once (editors show it from `dist`). */
export const bitPlaneFields = {
  /** Number of planes, which is also the number of time steps T (levels 0..2^bits-1). Default 8. */
  bits: z.number().int().min(1).max(16).default(8),
  /** `'msb'` (default): time step 0 carries the most significant plane; `'lsb'`: the least. */
  order: z.enum(['msb', 'lsb']).default('msb'),
  /**
   * Mapping to [0, 1] first: `'tensor'` (default) min-max over the whole tensor unless every value
   * already lies in [0, 1]; `'sample'` min-max per sample; `'none'` as is. A constant tensor maps to ones.
   */
  rescale: rescaleOption,
  /** Surrogate derivative of the staircase (see {@link BitPlaneOptions}). Default `'fourier'`, the authors' default. */
  surrogate: z.enum(['fourier', 'sigsine', 'tanhsine']).default('fourier'),
  /** `fourier`: number of odd harmonics (integer >= 1, default 5); `sigsine`/`tanhsine`: the slope (default -10). */
  alpha: z.number().optional(),
  /** Multiply plane k's gradient by `k / 2^(bits-1-k)` (plane 0 gets none; damps the low planes). Default true. */
  orderAware: z.boolean().default(true),
  /** The constant of the authors' fourier derivative (0.5, default); 0 is the series' exact derivative. */
  fourierOffset: z.number().default(0.5),
};

/** The schema of {@link BitPlaneOptions}: what configs, sweep files and the constructor validate. */
export const bitPlaneOptions: z.ZodObject<typeof bitPlaneFields> = z.object(bitPlaneFields);

/**
 * Options of {@link BitPlaneEncoder} (DESIGN 4.1), derived from {@link bitPlaneOptions}. With
 * `c = 2^k` for plane k and `q = x01 * 255`: `fourier` `g_k = fourierOffset - sum over odd n <
 * 2 alpha of (2/c) cos(pi n q / c)`; `sigsine` `g_k = sigmoid'(u) alpha pi/c cos(pi q / c)` and
 * `tanhsine` `0.5 sech(u)^2 alpha pi/c cos(pi q/c)` with `u = alpha sin(pi q / c)`;
 * `dL/dq = sum_k g_k dL/db_k`.
 */
export type BitPlaneOptions = z.input<typeof bitPlaneOptions>;
/** A {@link BitPlaneEncoder}'s options after defaults are filled in. */
export type ResolvedBitPlaneOptions = Required<z.output<typeof bitPlaneOptions>> & { alpha: number };

/** Maps plane index k to time step t for the given order. */
export function planeAtStep(t: number, bits: number, order: 'msb' | 'lsb'): number {
  return order === 'msb' ? bits - 1 - t : t;
}

/**
 * The HAS-8 bit-plane encoder (Luu et al., arXiv 2509.24411): `q = x01 * (2^bits - 1)`,
 * `n = floor(q)`, plane k is `floor(n / 2^k) mod 2`, emitted as `[T = bits, B, ...]` spikes
 * (MSB first by default). The staircase has a surrogate derivative (fourier, sigsine or
 * tanhsine, see {@link makePlaneSurrogate}); the gradient flows through the rescale by autodiff.
 *
 * Forward is exact: `decodeBitPlane(encode(x)) == floor(x01 * 255) / 255`.
 *
 * @example
 * ```ts
 * const enc = new BitPlaneEncoder({ surrogate: 'fourier', alpha: 5 });
 * const spikes = enc.encode(images); // [8, B, H, W, C]
 * ```
 */
export class BitPlaneEncoder implements SpikeEncoder {
  readonly kind = 'bitplane';
  readonly options: ResolvedBitPlaneOptions;

  constructor(options: BitPlaneOptions = {}) {
    const o = parseOptions(bitPlaneOptions, options, 'BitPlaneEncoder');
    const alpha = o.alpha ?? DEFAULT_ALPHA[o.surrogate];
    if (o.surrogate === 'fourier' && (!Number.isInteger(alpha) || alpha < 1)) {
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `BitPlaneEncoder: option 'alpha' is the number of fourier harmonics and must be an integer >= 1, got ${alpha}.`,
      );
    }
    if (!Number.isFinite(alpha))
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `BitPlaneEncoder: option 'alpha' must be finite, got ${alpha}.`,
      );
    this.options = { ...o, alpha };
  }

  get steps(): number {
    return this.options.bits;
  }

  /** Largest level, 2^bits - 1. */
  get levels(): number {
    return 2 ** this.options.bits - 1;
  }

  /** `[B, ...]` -> `[bits, B, ...]` spikes. */
  encode(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const x01 = rescaleTo01(x, this.options.rescale, 'BitPlaneEncoder');
      return this.encodeLevels(tf.mul(x01, this.levels));
    });
  }

  /** ONNX: the rescale, then plane k as `floor(n / 2^k) - 2 floor(n / 2^(k+1))` (Floor/Mul/Sub, no Mod), stacked over time. */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    return bitPlanesOnnx(
      ctx,
      rescaleOnnx(ctx, x, this.options.rescale),
      this.options.bits,
      this.options.order,
    );
  }

  /** Spikes of integer levels `q` in `[0, 2^bits - 1]` (already scaled), with the surrogate gradient. */
  encodeLevels(q: tf.Tensor): tf.Tensor {
    const { bits, order, surrogate, alpha, orderAware, fourierOffset } = this.options;
    const L = this.levels;
    const f = customGradOp(([qIn], save) => {
      if (!qIn) throw new Error('unreachable');
      save([qIn]);
      const n = qIn.size;
      const planeOf = Int32Array.from({ length: bits }, (_, t) => planeAtStep(t, bits, order));
      // Levels once, then one streaming pass per plane, written in place into the output.
      const value =
        encodePlanesOnHeap(qIn, bits, L, planeOf) ??
        floatTensor([bits, ...qIn.shape], (out) => {
          const qd = peekFloats(qIn);
          const level = new Int32Array(n);
          for (let i = 0; i < n; i++) level[i] = Math.min(L, Math.max(0, Math.floor(qd[i]!)));
          for (let t = 0; t < bits; t++) {
            const shift = planeOf[t]!;
            const o = t * n;
            for (let i = 0; i < n; i++) out[o + i] = (level[i]! >> shift) & 1;
          }
        });
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const spec = { bits, surrogate, alpha, orderAware, fourierOffset, planeOf };
        const onHeap = planeSurrogateBackwardOnHeap(saved[0]!, dy, spec);
        if (onHeap) return [onHeap];
        const g = new Float64Array(bits);
        const surrogateAt = makePlaneSurrogate(bits, surrogate, alpha, orderAware, fourierOffset);
        const dq = floatTensor(saved[0]!.shape, (out) => {
          const dyd = peekFloats(dy);
          const qs = peekFloats(saved[0]!);
          for (let i = 0; i < n; i++) {
            surrogateAt(qs[i]!, g);
            let acc = 0;
            for (let t = 0; t < bits; t++) acc += g[planeOf[t]!]! * dyd[t * n + i]!;
            out[i] = acc;
          }
        });
        return [dq];
      };
      return { value, gradFunc };
    });
    return f(q);
  }
}

export type { BitPlaneSurrogate };
