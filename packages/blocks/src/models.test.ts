import * as tf from '@tensorflow/tfjs-core';
import { registry, Rng } from '@hybridspike/core';
import { TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { has8ResNet } from './models/has8-resnet.js';
import { has8Vgg } from './models/has8-vgg.js';
import './plugin.js';

function images(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform()),
    shape,
  );
}

describe("parameter counts equal the authors' PyTorch models", () => {
  beforeAll(() => useBackend('wasm'));
  it('has8Vgg b16: 2,371,828 with 1 channel, 9,693,556 with 3 (BatchNorm stats are buffers)', () => {
    const m1 = has8Vgg({ inChannels: 1, numClasses: 10, base: 16 });
    expect(m1.parameterCount()).toBe(2_371_828);
    expect(m1.buffers().size).toBe(2 * 2 * 5); // running mean + var of 10 BatchNorms
    m1.dispose();
    const m3 = has8Vgg({ inChannels: 3, numClasses: 10, base: 16 });
    expect(m3.parameterCount()).toBe(9_693_556);
    m3.dispose();
  });

  it('ANN-only and SNN-only twins hold exactly one branch each', () => {
    const opts = { inChannels: 1, numClasses: 10, base: 2, depth: 2, hidden: [16, 8] as [number, number] };
    const hybrid = has8Vgg(opts);
    const ann = has8Vgg({ ...opts, branch: 'ann' });
    const snn = has8Vgg({ ...opts, branch: 'snn', snnTwin: 'layerwise' });
    const names = (m: typeof hybrid) => [...m.parameters().keys()];
    expect(names(ann).every((n) => n.includes('.ann.'))).toBe(true);
    expect(names(snn).every((n) => n.includes('.snn.'))).toBe(true);
    expect([...names(ann), ...names(snn)].sort()).toEqual(names(hybrid).sort());
    expect(ann.parameterCount() + snn.parameterCount()).toBe(hybrid.parameterCount());
    // identical init streams: the same path gets the same numbers in twin and hybrid
    expect(Array.from(ann.parameters().get('blocks.0.ann.conv.weight')!.dataSync())).toEqual(
      Array.from(hybrid.parameters().get('blocks.0.ann.conv.weight')!.dataSync()),
    );
  });

  it('the end-to-end SNN twin (default) adds only the head BatchNorms to the layerwise twin', () => {
    const opts = {
      inChannels: 1,
      numClasses: 10,
      base: 2,
      depth: 2,
      hidden: [16, 8] as [number, number],
      branch: 'snn' as const,
    };
    const layerwise = has8Vgg({ ...opts, snnTwin: 'layerwise' });
    const twin = has8Vgg(opts);
    expect(twin.endToEnd).toBe(true);
    expect(twin.config.snnTwin).toBe('end-to-end');
    const extra = [...twin.parameters().keys()].filter((k) => !layerwise.parameters().has(k)).sort();
    expect(extra).toEqual([
      'head.snn.bn1.bias',
      'head.snn.bn1.weight',
      'head.snn.bn2.bias',
      'head.snn.bn2.weight',
    ]);
    expect(twin.parameterCount() - layerwise.parameterCount()).toBe(2 * (16 + 8));
    expect(() => has8Vgg({ ...opts, branch: 'hybrid', snnTwin: 'end-to-end' })).toThrow(
      /applies to branch 'snn' only/,
    );
    expect(() => has8Vgg({ ...opts, snnTwin: 'both' as never })).toThrow(
      /option 'snnTwin'.*"end-to-end".*"layerwise"/,
    );
  });

  it("head: 'firing' gives the hybrid's SNN head BatchNorm and a readout (an ablation); 'paper' is the default", () => {
    const o = { inChannels: 1, numClasses: 4, base: 1, depth: 1, hidden: [8, 8] as [number, number] };
    const paper = has8Vgg(o);
    const firing = has8Vgg({ ...o, head: 'firing' });
    expect(paper.config.head).toBeUndefined();
    expect(firing.config.head).toBe('firing');
    const extra = [...firing.parameters().keys()].filter((k) => !paper.parameters().has(k)).sort();
    expect(extra).toEqual([
      'head.snn.bn1.bias',
      'head.snn.bn1.weight',
      'head.snn.bn2.bias',
      'head.snn.bn2.weight',
    ]);
    expect(firing.forward(tf.ones([2, 8, 8, 1])).shape).toEqual([2, 4]);
    expect(() => has8Vgg({ ...o, head: 'spiky' as never })).toThrow(/option 'head'/);
  });

  it('checks options at construction, naming the option (not later inside a kernel)', () => {
    const ok = { inChannels: 1, numClasses: 10 };
    expect(() => has8Vgg({ ...ok, base: 0 })).toThrow(
      /has8Vgg: option 'base': Too small: expected number to be >0/,
    );
    expect(() => has8Vgg({ ...ok, hidden: [0, 0] })).toThrow(/has8Vgg: option 'hidden\.0': Too small/);
    expect(() => has8Vgg({ ...ok, depth: -1 })).toThrow(/'depth'/);
    expect(() => has8ResNet({ ...ok, base: 0 })).toThrow(/has8ResNet: option 'base': Too small/);
    expect(() => has8ResNet({ ...ok, layers: [2, 0] })).toThrow(/has8ResNet: option 'layers\.1'/);
    expect(() => has8ResNet({ ...ok, block: 'wide' as never })).toThrow(/option 'block'/);
    expect(() => has8ResNet({ ...ok, numClasses: 2.5 })).toThrow(/'numClasses'/);
    expect(() => registry.create('model', { name: 'has8Vgg', ...ok, bsae: 2 })).toThrow(/bsae/);
  });

  it("has8ResNet's ANN twin at base 64 is torchvision's ResNet-18/34/50 (10 classes), parameter for parameter", () => {
    // torchvision.models.resnet18/34/50(num_classes=10): 11,181,642 / 21,289,802 / 23,528,522 parameters.
    const expected = { resnet18: 11_181_642, resnet34: 21_289_802, resnet50: 23_528_522 } as const;
    for (const [preset, count] of Object.entries(expected)) {
      const m = has8ResNet({
        inChannels: 3,
        numClasses: 10,
        base: 64,
        preset: preset as keyof typeof expected,
        branch: 'ann',
      });
      expect(m.parameterCount()).toBe(count);
      m.dispose();
    }
    // Layout of a basic block's shapes (stage 2, first block: stride 2, projection shortcut).
    const r = has8ResNet({ inChannels: 3, numClasses: 10, base: 8, preset: 'resnet18', branch: 'ann' });
    const shapes = Object.fromEntries([...r.parameters()].map(([k, v]) => [k, v.shape]));
    expect(shapes['stem.ann.conv.weight']).toEqual([7, 7, 3, 8]);
    expect(shapes['stages.2.ann.conv1.weight']).toEqual([3, 3, 8, 16]);
    expect(shapes['stages.2.ann.down_conv.weight']).toEqual([1, 1, 8, 16]);
    expect(shapes['stages.3.ann.down_conv.weight']).toBeUndefined();
    expect(shapes['fc.weight']).toEqual([64, 10]);
    r.dispose();
  });
});

for (const backend of TEST_BACKENDS) {
  describe(`models on ${backend}`, () => {
    beforeAll(() => useBackend(backend));
    const rng = new Rng(1);

    it('has8Vgg: logits for 32x32 and 64x64 (depth 4) and 28x28 (depth 1); names the minimum size', () => {
      const m = has8Vgg({ inChannels: 1, numClasses: 10, base: 1, depth: 4, hidden: [8, 8] });
      for (const s of [32, 64]) expect(m.forward(images(rng, [2, s, s, 1])).shape).toEqual([2, 10]);
      expect(() => m.forward(images(rng, [2, 28, 28, 1]))).toThrow(/at least 32x32/);
      const shallow = has8Vgg({ inChannels: 3, numClasses: 5, base: 1, depth: 1, hidden: [8, 8] });
      expect(shallow.forward(images(rng, [3, 28, 28, 3])).shape).toEqual([3, 5]);
      expect(() => shallow.forward(images(rng, [3, 28, 28, 1]))).toThrow(/3 channel\(s\)/);
      expect(() => shallow.forward(tf.fill([1, 28, 28, 3], NaN))).toThrow(/non-finite/);
    });

    for (const preset of ['resnet18', 'resnet50'] as const) {
      it(`has8ResNet ${preset}: logits for 28, 32 and 64 pixel inputs in every branch`, () => {
        for (const branch of ['hybrid', 'ann', 'snn'] as const) {
          const m = has8ResNet({ inChannels: 3, numClasses: 7, base: 2, preset, branch });
          for (const s of [28, 32, 64]) expect(m.forward(images(rng, [2, s, s, 3])).shape).toEqual([2, 7]);
          m.dispose();
        }
      });
    }

    it('one SGD step on a tiny hybrid model lowers the loss; gradients reach every parameter and the input', () => {
      // A low threshold so that every spiking layer of this tiny net fires (no spikes = no weight gradient).
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 4,
        base: 2,
        depth: 1,
        hidden: [16, 8],
        seed: 3,
        neuron: { name: 'lif', vThreshold: 0.1 },
      });
      const x = images(new Rng(2), [8, 4, 4, 1]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
      const params = [...m.parameters().values()];
      const loss = () => tf.losses.softmaxCrossEntropy(y, m.forward(x)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, params);
      const names = [...m.parameters().keys()];
      params.forEach((p, i) => {
        const g = grads[p.name]!.dataSync();
        expect(g.every(Number.isFinite), names[i]).toBe(true);
        expect(
          g.some((v) => v !== 0),
          `${names[i]} gets no gradient`,
        ).toBe(true);
      });
      const gx = tf
        .grad((v: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, m.forward(v)))(x)
        .dataSync();
      expect(gx.every(Number.isFinite) && gx.some((v) => v !== 0)).toBe(true);
      tf.tidy(() => params.forEach((p) => p.assign(tf.sub(p, tf.mul(0.05, grads[p.name]!)))));
      expect(loss().dataSync()[0]).toBeLessThan(value.dataSync()[0]!);
    });

    it('builds models by name from the registry with validated options', () => {
      const m = registry.create('model', {
        name: 'has8Vgg',
        inChannels: 1,
        numClasses: 10,
        base: 1,
        depth: 1,
        hidden: [4, 4],
        encoder: { name: 'rate', steps: 4 },
      });
      expect(m.timeSteps).toBe(4);
      expect(m.forward(images(rng, [2, 8, 8, 1])).shape).toEqual([2, 10]);
      expect(() =>
        registry.create('model', { name: 'has8Vgg', inChannels: 1, numClasses: 10, width: 3 }),
      ).toThrow(/width/);
      expect(() =>
        registry.create('model', { name: 'has8Vgg', inChannels: 1, numClasses: 10, neuron: 'lifx' }),
      ).toThrow(/Registered neurons: if, lif, plif/);
    });
  });
}
