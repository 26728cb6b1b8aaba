import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BitPlaneEncoder } from '@hybridspike/encoders';
import { countOps, PICOJOULES_PER_AC, PICOJOULES_PER_MAC, spikeCountScale } from './count-ops.js';
import type { Fusion } from './fusion.js';
import { has8Vgg } from './models/has8-vgg.js';
import type { SnnConvBlock, SnnLinearStack } from './snn-blocks.js';

for (const backend of TEST_BACKENDS) {
  describe(`countOps on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('countOps matches a hand count on a tiny model', () => {
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 2,
        base: 1,
        depth: 0,
        hidden: [2, 2],
        neuron: { name: 'lif', vThreshold: 0.05 },
      });
      const levels = [255, 0, 1, 128];
      const x = tf.tensor(
        levels.map((v) => v / 255),
        [1, 2, 2, 1],
      );
      const ops = countOps(m, x);
      // ANN: 4 outputs x 9 taps, then linear 1x2 + 2x2 + 2x2; BatchNorm one MAC per element:
      // 4 on the ANN side, T x 4 = 32 on the SNN side.
      expect(ops.macs).toBe(36 + 2 + 4 + 4 + 4 + 32);
      expect(ops.branches.ann.macs).toBe(36 + 10 + 4);
      expect(ops.branches.snn.macs).toBe(32);
      // SNN conv: every 3x3 window (pad 1) of a 2x2 image covers all 4 pixels: 4 x (spikes in the image).
      const popcount = levels.reduce((a, v) => a + v.toString(2).split('1').length - 1, 0);
      const convSops = 4 * popcount;
      m.eval();
      const feats = m.pool.forward(m.blocks.forward(x));
      const headSpikes = tf.sum(new BitPlaneEncoder().encode(feats)).dataSync()[0]!;
      const snn = m.head.snn as SnnLinearStack;
      m.forward(x);
      const linSops = 2 * headSpikes + 2 * snn.lifs[0]!.lastSpikeCount + 2 * snn.lifs[1]!.lastSpikeCount;
      expect(ops.layers.find((l) => l.path === 'blocks.0.snn.conv')!.sops).toBe(convSops);
      expect(ops.sops).toBe(convSops + linSops);
      // Accumulates: block encode 8x4 and decode 8x1 (after the 2x2 pool), head encode 8x1 and
      // decode 8x2, neuron updates 8x4 (conv LIF) + 3 x 8x2 (head LIFs).
      expect(ops.acs).toBe(32 + 8 + 8 + 16 + 32 + 48);
      expect(ops.branches.shared).toEqual({ macs: 0, sops: 0, acs: 0, energyPicojoules: 0 });
      expect(ops.branches.snn.acs).toBe(ops.acs);
      expect(ops.energyPicojoules).toBeCloseTo(
        ops.macs * PICOJOULES_PER_MAC + (ops.sops + ops.acs) * PICOJOULES_PER_AC,
        6,
      );
      expect(ops.branches.ann.energyPicojoules + ops.branches.snn.energyPicojoules).toBeCloseTo(
        ops.energyPicojoules,
        6,
      );
      expect(Object.keys(ops.spikeRates).sort()).toEqual([
        'blocks.0.snn.lif',
        'head.snn.lif1',
        'head.snn.lif2',
        'head.snn.lif3',
      ]);
      expect(m.training).toBe(false);
    });

    it('countOps counts average-pooled spikes as k/n spike counts (one accumulate per spike)', () => {
      expect(spikeCountScale([0, 1, 1, 0])).toBe(1);
      expect(spikeCountScale([0, 0.25, 0.75, 1])).toBe(4);
      expect(spikeCountScale([0, 0.5, 1])).toBe(2);
      expect(spikeCountScale([0.3, 0.1])).toBe(10);
      expect(spikeCountScale([Math.PI / 4, 0])).toBe(0);
      expect(spikeCountScale([-1, 0])).toBe(0);
      expect(spikeCountScale([2, 0])).toBe(0);
      // End-to-end twin: block 1's conv reads block 0's pooled spikes: SOPs = spikes in the
      // pooling windows x 9 taps x out channels (4x4 input, pad 1: each 2x2 pooled map position
      // reaches every output position of the 2x2 map, 4 in all).
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 2,
        base: 2,
        depth: 1,
        hidden: [4, 4],
        branch: 'snn',
        neuron: { name: 'lif', vThreshold: 0.05 },
      });
      const x = tf.tensor(
        Array.from({ length: 16 }, (_, i) => ((i * 37) % 16) / 15),
        [1, 4, 4, 1],
      );
      const ops = countOps(m, x);
      const first = m.blocks.layers[0] as Fusion;
      const lif0 = (first.snn as SnnConvBlock).lif;
      m.eval();
      const spikes = recordSpikes(m, x, lif0);
      // pooled spike maps 2x2: each of the 4 positions feeds all 4 outputs of a 3x3 pad-1 conv
      expect(ops.layers.find((l) => l.path === 'blocks.1.snn.conv')!.sops).toBe(spikes * 4 * 4);
      expect(ops.layers.find((l) => l.path === 'blocks.1.snn.conv')!.macs).toBe(0);
      expect(ops.branches.snn.energyPicojoules).toBeCloseTo(ops.energyPicojoules, 6);
    });
  });
}

/** Total spikes `neuron` emitted in one eval forward of `m`. */
function recordSpikes(
  m: { forward(x: tf.Tensor): tf.Tensor },
  x: tf.Tensor,
  neuron: { lastSpikeCount: number },
): number {
  tf.tidy(() => void m.forward(x).dataSync());
  return neuron.lastSpikeCount;
}
