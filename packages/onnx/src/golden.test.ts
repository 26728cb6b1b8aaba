import { createHash } from 'node:crypto';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8ResNet, has8Vgg } from '@hybridspike/blocks';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnxDetailed } from './export.js';
import { GraphProto, ModelProto } from './proto.js';

/**
 * The exported graphs of the built-in models, pinned: a refactor of how blocks lower themselves
 * must not change a single byte of them. (Weights come from seeded inits.) The model's
 * metadata_props are left out: new metadata keys are not a change of the computation.
 */
const MODELS = {
  'vgg-hybrid': () => has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 2, hidden: [16, 8], seed: 3 }),
  'vgg-ann': () =>
    has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 2, hidden: [16, 8], seed: 3, branch: 'ann' }),
  'vgg-snn': () =>
    has8Vgg({ inChannels: 1, numClasses: 10, base: 2, depth: 2, hidden: [16, 8], seed: 3, branch: 'snn' }),
  'vgg-snn-layerwise': () =>
    has8Vgg({
      inChannels: 1,
      numClasses: 10,
      base: 2,
      depth: 2,
      hidden: [16, 8],
      seed: 3,
      branch: 'snn',
      snnTwin: 'layerwise',
    }),
  'resnet-hybrid': () => has8ResNet({ inChannels: 3, numClasses: 5, base: 4, layers: [1, 1], seed: 2 }),
  'resnet-snn-bottleneck': () =>
    has8ResNet({
      inChannels: 3,
      numClasses: 5,
      base: 4,
      layers: [1, 1],
      block: 'bottleneck',
      seed: 2,
      branch: 'snn',
    }),
} as const;

/** Hash of the GraphProto's bytes inside an exported ModelProto. */
const sha = (b: Uint8Array) =>
  createHash('sha256')
    .update(GraphProto.encode((ModelProto.decode(b) as unknown as { graph: object }).graph).finish())
    .digest('hex')
    .slice(0, 16);

describe('exported bytes of the built-in models are pinned', () => {
  beforeAll(() => useBackend('cpu'));
  it('every model exports exactly the pinned graph bytes (debug spikes on and off)', () => {
    const got: Record<string, string> = {};
    for (const [name, make] of Object.entries(MODELS)) {
      const m = make();
      const shape: [number, number, number] = name.startsWith('vgg') ? [1, 8, 8] : [3, 16, 16];
      got[name] =
        `${sha(exportOnnxDetailed(m, { inputShape: shape }).bytes)} ${sha(exportOnnxDetailed(m, { inputShape: shape, debugSpikes: true }).bytes)}`;
      m.dispose();
    }
    expect(got).toEqual(PINNED);
  });
});

// Last changed on purpose: the bit-plane encoder's planes as differences of shifted floors
// instead of Mod, the hard reset to 0 as h - h*s instead of Where, no `+ 0` in the charge (same
// values; onnxruntime ran Mod and Where slowly).
const PINNED: Record<string, string> = {
  'vgg-hybrid': 'c2ae139ce4ad7b20 e8ee465d115cd935',
  'vgg-ann': '134ac4efcc112f30 134ac4efcc112f30',
  'vgg-snn': '6c6a31455d9a5910 cdf23f1992261d36',
  'vgg-snn-layerwise': 'e73d1063144dce9e cf8658d1b8810e1c',
  'resnet-hybrid': '285a7594a843bdf1 84eeb614e0774206',
  'resnet-snn-bottleneck': '6f7b76228338b2aa 28922ea03336304c',
};

describe('export metadata', () => {
  beforeAll(() => useBackend('cpu'));
  it('records the input shape, and with debugSpikes which output is which layer', async () => {
    const { readOnnxMetadata } = await import('./metadata.js');
    const m = MODELS['vgg-hybrid']();
    const plain = readOnnxMetadata(exportOnnxDetailed(m, { inputShape: [1, 8, 8] }).bytes);
    expect(plain['hybridspike.input_shape']).toBe('[1,8,8]');
    expect(plain['hybridspike.spike_outputs']).toBeUndefined();
    const debug = exportOnnxDetailed(m, { inputShape: [1, 8, 8], debugSpikes: true, metadata: { a: 'b' } });
    const meta = readOnnxMetadata(debug.bytes);
    expect(JSON.parse(meta['hybridspike.spike_outputs']!)).toEqual(debug.spikeOutputs);
    expect(debug.spikeOutputs.length).toBeGreaterThan(0);
    expect(meta.a).toBe('b');
    expect(meta['hybridspike.T']).toBe('8');
    m.dispose();
  });
});
