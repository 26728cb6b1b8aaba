import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8Vgg, type HybridModel } from '@hybridspike/blocks';
import { parityReference } from '@hybridspike/neurons';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnxDetailed } from './export.js';
import { predictOnnx } from './predict.js';

describe('predictOnnx', () => {
  let model: HybridModel;
  let x: tf.Tensor4D;
  const N = 6;
  beforeAll(async () => {
    await useBackend('wasm');
    model = has8Vgg({
      inChannels: 2,
      numClasses: 5,
      base: 2,
      depth: 1,
      hidden: [8, 8],
      neuron: { name: 'lif', vThreshold: 0.3 },
    });
    model.eval();
    // Non-square, two channels: a wrong NHWC -> NCHW transpose would change the answers.
    x = tf.randomUniform([N, 6, 10, 2], 0, 1, 'float32', 11);
  });

  it('gives tfjs classes, softmax probabilities and per-sample spike counts', async () => {
    const { bytes, spikeOutputs } = exportOnnxDetailed(model, { inputShape: [2, 6, 10], debugSpikes: true });
    const p = await predictOnnx(bytes, x.dataSync() as Float32Array, [N, 6, 10, 2]);
    const ref = parityReference(model)(x);
    for (let n = 0; n < N; n++) {
      const ours = ref.logits.slice(n * 5, (n + 1) * 5);
      for (let k = 0; k < 5; k++) expect(p.logits[n]![k]).toBeCloseTo(ours[k]!, 4);
      expect(p.classes[n]).toBe(ours.indexOf(Math.max(...ours)));
      expect(p.probabilities[n]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // softmax is monotone: the most probable class is the largest logit
      expect(p.probabilities[n]!.indexOf(Math.max(...p.probabilities[n]!))).toBe(p.classes[n]);
    }
    expect(Object.keys(p.spikeCounts).sort()).toEqual(spikeOutputs.map((s) => s.path).sort());
    let total = 0;
    for (const [path, counts] of Object.entries(p.spikeCounts)) {
      const rec = ref.layers.get(path)!;
      const [T, B] = rec.shape as number[];
      const per = rec.h.length / (T! * B!);
      const expected = Array.from({ length: B! }, (_, b) => {
        let s = 0;
        for (let t = 0; t < T!; t++)
          for (let i = 0; i < per; i++) s += rec.h[(t * B! + b) * per + i]! >= rec.threshold ? 1 : 0;
        return s;
      });
      expect(counts).toEqual(expected);
      total += counts.reduce((a, b) => a + b, 0);
    }
    expect(total).toBeGreaterThan(0);
  });

  it('has no spike counts without debugSpikes, and says what is wrong with bad input', async () => {
    const { bytes } = exportOnnxDetailed(model, { inputShape: [2, 6, 10] });
    const data = x.dataSync() as Float32Array;
    expect((await predictOnnx(bytes, data, [N, 6, 10, 2])).spikeCounts).toEqual({});
    await expect(predictOnnx(bytes, data, [N, 6, 10, 3])).rejects.toThrow(/do not fill NHWC/);
    const bad = data.slice();
    bad[3] = NaN;
    await expect(predictOnnx(bytes, bad, [N, 6, 10, 2])).rejects.toBeInstanceOf(HybridSpikeError);
  });
});
