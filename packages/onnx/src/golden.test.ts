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
// instead of Mod (same planes; onnxruntime's float fmod was slow).
const PINNED: Record<string, string> = {
  'vgg-hybrid': '864b71f1f66089ae 798e993b28112d59',
  'vgg-ann': '134ac4efcc112f30 134ac4efcc112f30',
  'vgg-snn': '2565f2620d937c87 fcbdc4ceecb10944',
  'vgg-snn-layerwise': 'ca12445fed016995 490a0febe8067c8d',
  'resnet-hybrid': 'bd01e3684f13c1d4 2fb037d4f672ddbe',
  'resnet-snn-bottleneck': '08f16f4805b3ac9a 96c9b6b2e7b015aa',
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
