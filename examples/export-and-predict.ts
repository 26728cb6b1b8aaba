// Export a model to ONNX and run it in onnxruntime-node on NHWC images with one call.
// Run: node --conditions=@hybridspike/source --import tsx examples/export-and-predict.ts
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { has8Vgg } from '@hybridspike/blocks';
import { exportOnnxDetailed, predictOnnx } from '@hybridspike/onnx';

await initRuntime();
const model = has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 1, hidden: [16, 8] });
model.eval();
const { bytes } = exportOnnxDetailed(model, { inputShape: [1, 8, 8], debugSpikes: true });
const images = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1);
const { classes, probabilities, spikeCounts } = await predictOnnx(
  bytes,
  images.dataSync() as Float32Array,
  [2, 8, 8, 1],
);
const ours = tf.argMax(model.forward(images), 1).dataSync();
console.log('onnxruntime classes', classes.join(','), 'tfjs classes', Array.from(ours).join(','));
console.log(
  'p(class 0)',
  probabilities[0]![0]!.toFixed(4),
  'layers with spike counts',
  Object.keys(spikeCounts).length,
);
