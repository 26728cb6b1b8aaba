import { createHash } from 'node:crypto';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8ResNet, has8Vgg } from '@hybridspike/blocks';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnxDetailed } from './export.js';

/**
 * The exported bytes of the built-in models, pinned: a refactor of how blocks lower themselves
 * must not change a single byte. (Weights come from seeded inits; metadata holds no time.)
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

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

describe('exported bytes of the built-in models are pinned', () => {
  beforeAll(() => useBackend('cpu'));
  it('every model exports to exactly the pinned bytes (debug spikes on and off)', () => {
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

const PINNED: Record<string, string> = {
  'vgg-hybrid': '73017f7603b139f6 692708d1ffe0d2c3',
  'vgg-ann': 'c3ac7e2c9ca4ac49 c3ac7e2c9ca4ac49',
  'vgg-snn': '58f2a53874c8897c 13ebe785b97997ec',
  'vgg-snn-layerwise': '78fc500692c23a07 e63fa6731077da8d',
  'resnet-hybrid': '8a70b6045c714468 f3a1b7117881b510',
  'resnet-snn-bottleneck': 'b9bd6f523709bfdb 55953666d240d570',
};
