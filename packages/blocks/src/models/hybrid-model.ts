import * as tf from '@tensorflow/tfjs-core';
import {
  checkFinite,
  checkTensor,
  HybridSpikeError,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type RandomStream,
} from '@hybridspike/core';
import type { Branch } from '../fusion.js';
import { encodeSpikes, perStep, perStepOnnx, type EncodeDecodeBlock } from '../snn-blocks.js';
import type { SpikingSpec } from '../spiking-spec.js';

/**
 * How the SNN-only twin is built.
 * - `'end-to-end'` (default): the input is encoded once, the spikes run through every block's
 *   spiking layers in turn (conv-BN-LIF-pool, ...), and are decoded once before a non-spiking
 *   readout: a plain deep SNN with bit-plane input coding, the baseline an SNN researcher runs.
 * - `'layerwise'`: every block encodes and decodes on its own, exactly the SNN side of the hybrid
 *   with nothing beside it. It does not learn: the bit-plane surrogate multiplies the gradient by
 *   ~10^2 per block (its staircase has slope up to 255), so after 5 blocks the first convs get
 *   gradients ~10^8 times those of the head, dominated by the surrogate's ripple; and the spiking
 *   head's decoded output bounds logits to [0, 1]. Kept for ablations.
 */
export type SnnTwin = 'end-to-end' | 'layerwise';

/** What every zoo model shares: its config, its branch, input checks, fresh state per forward. */
export abstract class HybridModel extends Module {
  constructor(
    /** The options the model was built from (after defaults): recorded in logs and exports. */
    readonly config: Record<string, unknown>,
    readonly branch: Branch,
    readonly inChannels: number,
    readonly numClasses: number,
    readonly spec: SpikingSpec,
    /** SNN-only twin encoded once at the input (see {@link SnnTwin}). */
    readonly endToEnd = false,
  ) {
    super();
  }

  /**
   * End-to-end twin: encodes `x` once, runs the spiking layers of `blocks` in turn on the
   * time-major spikes, then `pool` per time step. Returns `[T, B, features]`.
   */
  protected spikingChain(x: tf.Tensor, blocks: EncodeDecodeBlock[], pool: Module): tf.Tensor {
    return tf.tidy(() => {
      let s = encodeSpikes(blocks[0]!, x);
      for (const b of blocks) s = b.spiking(s);
      return perStep(pool, s);
    });
  }

  /** {@link spikingChain} as ONNX. */
  protected spikingChainToOnnx(
    ctx: OnnxLowering,
    x: OnnxValue,
    blocks: EncodeDecodeBlock[],
    pool: Module,
  ): OnnxValue {
    let s = ctx.encode(this.spec.encoder, this, x);
    for (const b of blocks) s = b.spikingToOnnx(ctx, s);
    return perStepOnnx(ctx, pool, s);
  }

  /** Smallest input height/width the model's depth allows. */
  abstract minInputSize(): number;

  /** Time steps of the SNN side. */
  get timeSteps(): number {
    return this.spec.encoder.steps;
  }

  /** The encoder's random stream (rate coding draws from one), when it has one. */
  protected override ownRandomStreams(): Map<string, RandomStream> {
    const enc = this.spec.encoder as SpikingSpec['encoder'] & Partial<RandomStream>;
    return typeof enc.getRngState === 'function' && typeof enc.setRngState === 'function'
      ? new Map([['encoder', enc as RandomStream]])
      : new Map();
  }

  /** The model's options and time steps, for exported files. */
  override exportMetadata(): Record<string, string> {
    return { 'hybridspike.config': JSON.stringify(this.config), 'hybridspike.T': String(this.timeSteps) };
  }

  /** NHWC images `[B, H, W, C]` -> logits `[B, classes]`. */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 4);
    const [, h, w, c] = x.shape as number[];
    if (c !== this.inChannels) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `${this.typeName} expects NHWC input with ${this.inChannels} channel(s), got shape [${x.shape}].`,
      );
    }
    const min = this.minInputSize();
    if (h! < min || w! < min) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `${this.typeName} needs inputs of at least ${min}x${min} for its depth, got ${h}x${w}; pad or resize the images, or build a shallower model.`,
      );
    }
    checkFinite(x, `${this.typeName} input`);
    this.resetState();
    return this.body(x);
  }

  protected abstract body(x: tf.Tensor): tf.Tensor;
}
