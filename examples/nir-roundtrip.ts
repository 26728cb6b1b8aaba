// Export an SNN-only twin to NIR (the format snnTorch, Norse, Sinabs and neuromorphic chips read),
// read it back as modules of ours, and compare the logits.
// Run: node --conditions=@hybridspike/source --import tsx examples/nir-roundtrip.ts
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { has8Vgg } from '@hybridspike/blocks';
import { exportNir, importNir } from '@hybridspike/nir';

await initRuntime();
const model = has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 1, hidden: [16, 8], branch: 'snn' });
model.eval();
const bytes = await exportNir(model, { inputShape: [1, 8, 8] });
const { classifier, graph } = await importNir(bytes);
const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2);
const diff = tf.max(tf.abs(tf.sub(model.forward(x), classifier!.forward(x)))).dataSync()[0]!;
console.log('nir nodes', Object.keys(graph.nodes).length, 'max |dlogit|', diff.toExponential(1));
