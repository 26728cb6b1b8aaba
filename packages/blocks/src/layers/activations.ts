import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@hybridspike/core';

/** `max(x, slope * x)`; the HAS-8 ANN blocks use slope 0.01. */
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, this.slope);
  }
}

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}
