import { currentKernels, Rng } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8Vgg } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import { nativeSwitch } from '@hybridspike/native';
import { beforeAll, describe, expect, it } from 'vitest';
import { fit } from './fit.js';
import { Adam } from './optimizers.js';

function data(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 256);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 256; j++) images[i * 256 + j] = Math.floor(40 * labels[i]! + rng.uniform() * 150);
  }
  return { name: 'toy', images, labels, count: n, height: 16, width: 16, channels: 1, classes: 3 };
}

const required = process.env.HYBRIDSPIKE_REQUIRE_NATIVE === '1';

describe('training on the native (oneDNN) kernels', () => {
  beforeAll(() => useBackend('wasm'));

  it('a short training curve agrees with the wasm path, and repeats bit for bit on the same kernels', async (ctx) => {
    if (!currentKernels().startsWith('onednn')) {
      expect(required).toBe(false);
      return ctx.skip();
    }
    const train = data(64, 1);
    const validation = data(32, 2);
    const run = async (native: boolean) => {
      nativeSwitch.enabled = native;
      try {
        const model = has8Vgg({ inChannels: 1, numClasses: 3, base: 4, depth: 2, hidden: [16, 16], seed: 4 });
        const r = await fit(model, {
          train,
          validation,
          epochs: 3,
          batchSize: 16,
          seed: 9,
          optimizer: new Adam({ lr: 3e-3 }),
          progress: 'quiet',
        });
        model.dispose();
        return r.history.map((h) => [h.loss, h.valLoss!]).flat();
      } finally {
        nativeSwitch.enabled = true;
      }
    };
    const native = await run(true);
    const again = await run(true);
    const wasm = await run(false);
    expect(again).toEqual(native);
    for (let i = 0; i < native.length; i++)
      expect(Math.abs(native[i]! - wasm[i]!)).toBeLessThan(2e-3 * Math.abs(wasm[i]!));
    expect(native[native.length - 2]).toBeLessThan(native[0]!);
  });
});
