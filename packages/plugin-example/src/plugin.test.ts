import * as tf from '@tensorflow/tfjs-core';
import { registry } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';

describe('example plugin', () => {
  beforeAll(() => useBackend('cpu'));
  it('registers a surrogate and an encoder by name', () => {
    expect(
      (registry.create('surrogate', { name: 'example-box', width: 2 }) as { grad(x: number): number }).grad(
        0.9,
      ),
    ).toBe(0.5);
    const enc = registry.create('encoder', { name: 'example-threshold', steps: 3 }) as {
      encode(x: tf.Tensor): tf.Tensor;
    };
    const s = enc.encode(tf.tensor([0.2, 0.7]));
    expect(s.arraySync()).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(
      Array.from(
        tf
          .grad((x: tf.Tensor) => tf.sum(enc.encode(x)))(tf.tensor([0.2, 0.7]))
          .dataSync(),
      ),
    ).toEqual([3, 3]);
    expect(() => registry.create('encoder', { name: 'example-threshold', steps: 0 })).toThrow(
      /option 'steps'/,
    );
  });
});
