import type * as tf from '@tensorflow/tfjs-core';
import { checkFinite, checkTensor, HybridSpikeError, Module } from '@hybridspike/core';
import type { Branch } from '../fusion.js';
import type { SpikingSpec } from '../spiking-spec.js';

/** What every zoo model shares: its config, its branch, input checks, fresh state per forward. */
export abstract class HybridModel extends Module {
  constructor(
    /** The options the model was built from (after defaults): recorded in logs and exports. */
    readonly config: Record<string, unknown>,
    readonly branch: Branch,
    readonly inChannels: number,
    readonly numClasses: number,
    readonly spec: SpikingSpec,
  ) {
    super();
  }

  /** Smallest input height/width the model's depth allows. */
  abstract minInputSize(): number;

  /** Time steps of the SNN side. */
  get timeSteps(): number {
    return this.spec.encoder.steps;
  }

  /** NHWC images `[B, H, W, C]` -> logits `[B, classes]`. */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 4);
    const [, h, w, c] = x.shape as number[];
    if (c !== this.inChannels) {
      throw new HybridSpikeError('BAD_SHAPE', `${this.typeName} expects NHWC input with ${this.inChannels} channel(s), got shape [${x.shape}].`);
    }
    const min = this.minInputSize();
    if (h! < min || w! < min) {
      throw new HybridSpikeError('BAD_SHAPE', `${this.typeName} needs inputs of at least ${min}x${min} for its depth, got ${h}x${w}; pad or resize the images, or build a shallower model.`);
    }
    checkFinite(x, `${this.typeName} input`);
    this.resetState();
    return this.body(x);
  }

  protected abstract body(x: tf.Tensor): tf.Tensor;
}
