import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  customGradOp,
  floatTensor,
  HybridSpikeError,
  parseOptions,
  peekFloats,
  type OnnxLowering,
  type OnnxValue,
} from '@hybridspike/core';
import { z } from 'zod';
import { planeAtStep } from './bitplane.js';
import { weightedTimeSumOnHeap } from './simd/planes.js';
import type { SpikeDecoder } from './types.js';

/** The fields of {@link bitPlaneDecoderOptions}, each documented once. */
export const bitPlaneDecoderFields = {
  /** Number of planes = time steps. Default 8. */
  bits: z.number().int().min(1).max(16).default(8),
  /** `'msb'` (default): step 0 carries weight 2^(bits-1); `'lsb'`: weight 1. */
  order: z.enum(['msb', 'lsb']).default('msb'),
};
/** The schema of {@link BitPlaneDecoderOptions}. */
export const bitPlaneDecoderOptions: z.ZodObject<typeof bitPlaneDecoderFields> =
  z.object(bitPlaneDecoderFields);
/** Options of {@link BitPlaneDecoder}: the encoder's `bits` and `order`, so the weights match. */
export type BitPlaneDecoderOptions = z.input<typeof bitPlaneDecoderOptions>;

/** Integer weights `2^k` of each time step, in the encoder's order (divide by 2^bits - 1). */
export function bitPlaneWeights(bits: number, order: 'msb' | 'lsb'): number[] {
  return Array.from({ length: bits }, (_, t) => 2 ** planeAtStep(t, bits, order));
}

/**
 * `sum_t w_t s_t` over `[T, ...]` in one SIMD pass on the wasm heap, else a JavaScript loop (a
 * reduction over the leading axis transposes first on wasm, ~10x slower; a `[1, T] @ [T, M]`
 * matmul repacks the spikes as weights each call). Spikes times integer weights sum exactly.
 */
function weightedTimeSum(spikes: tf.Tensor, weights: number[]): tf.Tensor {
  const T = spikes.shape[0]!;
  const rest = spikes.shape.slice(1);
  // One op with the gradient for the spikes only (autodiff of the matmul would also build the
  // unused gradient of the constant weights: a transpose and a long reduction).
  return customGradOp(([s]) => {
    const shape = s!.shape;
    const M = s!.size / T;
    const value =
      weightedTimeSumOnHeap(s!, weights) ??
      floatTensor(rest, (out) => {
        const sd = peekFloats(s!);
        const acc = new Float64Array(M);
        for (let t = 0; t < T; t++) {
          const w = weights[t]!;
          for (let i = 0, at = t * M; i < M; i++, at++) acc[i]! += w * sd[at]!;
        }
        out.set(acc);
      });
    return {
      value,
      // The weights are rebuilt here: tensors made in the forward are freed when it returns.
      gradFunc: (dy) => [
        tf.reshape(tf.mul(tf.tensor2d(weights, [T, 1]), tf.reshape(dy, [1, dy.size])), shape),
      ],
    };
  })(spikes);
}

/**
 * Bit-plane decoder: `(sum_t s_t * 2^k(t)) / (2^bits - 1)` over `[T = bits, B, ...]`; the inverse
 * of {@link BitPlaneEncoder}'s forward. Differentiable (a weighted sum).
 */
export function decodeBitPlane(spikes: tf.Tensor, options: BitPlaneDecoderOptions = {}): tf.Tensor {
  const { bits, order } = parseOptions(bitPlaneDecoderOptions, options, 'decodeBitPlane');
  checkTensor(spikes, 'decodeBitPlane spikes', 2);
  if (spikes.shape[0] !== bits) {
    throw new HybridSpikeError(
      'BAD_SHAPE',
      `decodeBitPlane expects T = bits = ${bits} steps in dim 0, got shape [${spikes.shape}].`,
    );
  }
  return tf.tidy(() => {
    // Integer level first, one division last: exact, so decode(encode(x)) == floor(q) / L bit for bit.
    return tf.div(weightedTimeSum(spikes, bitPlaneWeights(bits, order)), 2 ** bits - 1);
  });
}

/** Rate decoder: the mean over time of `[T, B, ...]`. */
export function decodeRate(spikes: tf.Tensor): tf.Tensor {
  checkTensor(spikes, 'decodeRate spikes', 2);
  const T = spikes.shape[0]!;
  return tf.tidy(() => tf.div(weightedTimeSum(spikes, new Array<number>(T).fill(1)), T));
}

/** {@link decodeBitPlane} as a pluggable decoder object. */
export class BitPlaneDecoder implements SpikeDecoder {
  readonly kind = 'bitplane';
  readonly options: Required<z.output<typeof bitPlaneDecoderOptions>>;
  constructor(options: BitPlaneDecoderOptions = {}) {
    this.options = parseOptions(bitPlaneDecoderOptions, options, 'BitPlaneDecoder');
  }
  decode(spikes: tf.Tensor): tf.Tensor {
    return decodeBitPlane(spikes, this.options);
  }
  /** ONNX: `ReduceSum(s * 2^k) / (2^bits - 1)` over time (integer level first, as the forward). */
  toOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    const g = ctx.g;
    const T = s.shape[0] as number;
    const w = g.floatConst(bitPlaneWeights(this.options.bits, this.options.order), [
      T,
      ...s.shape.slice(1).map(() => 1),
    ]);
    const sum = g.op('ReduceSum', [g.op('Mul', [s.name, w]), g.intConst([0])], { keepdims: 0 }, 'levels');
    return {
      name: g.op('Div', [sum, g.floatConst(2 ** this.options.bits - 1)], {}, 'decoded'),
      shape: s.shape.slice(1),
    };
  }
}

/** {@link decodeRate} as a pluggable decoder object. */
export class RateDecoder implements SpikeDecoder {
  readonly kind = 'rate';
  decode(spikes: tf.Tensor): tf.Tensor {
    return decodeRate(spikes);
  }
  /** ONNX: the spike count over time divided by T. */
  toOnnx(ctx: OnnxLowering, s: OnnxValue): OnnxValue {
    const sum = ctx.g.op('ReduceSum', [s.name, ctx.g.intConst([0])], { keepdims: 0 }, 'count');
    return {
      name: ctx.g.op('Div', [sum, ctx.g.floatConst(s.shape[0] as number)], {}, 'rate'),
      shape: s.shape.slice(1),
    };
  }
}
