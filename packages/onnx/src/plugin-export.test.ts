import * as tf from '@tensorflow/tfjs-core';
import { registry } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8Vgg } from '@hybridspike/blocks';
import '@hybridspike/plugin-example';
import { beforeAll, describe, expect, it } from 'vitest';
import { parityReference } from '@hybridspike/neurons';
import { checkOnnx } from './check.js';
import { exportOnnxDetailed } from './export.js';

describe("a plugin's components train and export like built-in ones", () => {
  beforeAll(() => useBackend('wasm'));

  it('has8Vgg with the example threshold encoder and box surrogate: a training step, then ONNX parity', async () => {
    const model = has8Vgg({
      inChannels: 1,
      numClasses: 4,
      base: 2,
      depth: 1,
      hidden: [8, 8],
      seed: 5,
      encoder: { name: 'example-threshold', steps: 4, threshold: 0.4 },
      neuron: { name: 'lif', vThreshold: 0.3, surrogate: { name: 'example-box', width: 1 } },
    });
    expect(registry.has('surrogate', 'example-box')).toBe(true);
    // One training step: the plugin's surrogate and straight-through encoder carry gradients.
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 3);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
    const vars = [...model.parameters().values()];
    const before = vars.map((v) => v.dataSync().slice());
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.forward(x)) as tf.Scalar,
      vars,
    );
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.1)));
    const names = [...model.parameters().keys()];
    const changed = names.filter(
      (n, i) => n.includes('.snn.') && Array.from(vars[i]!.dataSync()).some((a, j) => a !== before[i]![j]),
    );
    expect(changed.length, names.join(',')).toBeGreaterThan(0);
    model.eval();
    const debug = exportOnnxDetailed(model, { inputShape: [1, 8, 8], debugSpikes: true });
    const report = await checkOnnx(debug.bytes, parityReference(model), x, {
      spikeOutputs: debug.spikeOutputs,
    });
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(report.argmaxAgreement).toBe(1);
  });
});
