import * as tf from '@tensorflow/tfjs-core';

/** Sum of softmax cross-entropy, top-1 and top-5 hits of a batch of logits (plain numbers). */
export function batchMetrics(
  logits: tf.Tensor,
  labels: Uint8Array,
): { lossSum: number; top1: number; top5: number } {
  const [B, K] = logits.shape as [number, number];
  const d = logits.dataSync();
  let lossSum = 0;
  let top1 = 0;
  let top5 = 0;
  for (let i = 0; i < B; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, d[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(d[i * K + k]! - max);
    const y = labels[i]!;
    const ly = d[i * K + y]!;
    lossSum += Math.log(z) + max - ly;
    let rank = 0;
    for (let k = 0; k < K; k++) if (d[i * K + k]! > ly || (d[i * K + k]! === ly && k < y)) rank++;
    if (rank === 0) top1++;
    if (rank < 5) top5++;
  }
  return { lossSum, top1, top5 };
}

/** Mean softmax cross-entropy of logits against integer labels, as a differentiable scalar. */
export function crossEntropy(logits: tf.Tensor, labels: Uint8Array): tf.Scalar {
  return tf.tidy(() => {
    const K = logits.shape[1]!;
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
  });
}
