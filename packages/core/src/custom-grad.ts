import * as tf from '@tensorflow/tfjs-core';

/** Forward of a {@link customGradOp}: the value and a backward that returns one gradient per input. */
export type CustomGradForward = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => {
  value: tf.Tensor;
  /** The gradient of each input from the output's gradient `dy` and the saved tensors. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
};

/**
 * A typed wrapper of `tf.customGrad`: one fused op with a hand-written backward, so a loop over
 * time or planes is one tape node instead of many small ones.
 */
export function customGradOp(forward: CustomGradForward): (...inputs: tf.Tensor[]) => tf.Tensor {
  const f = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const { value, gradFunc } = forward(args as tf.Tensor[], save);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const grads = gradFunc(dy as tf.Tensor, saved);
        return grads.length === 1 ? grads[0]! : grads;
      },
    };
  }) as never) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
  return f;
}
