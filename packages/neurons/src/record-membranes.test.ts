import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIF } from './neuron.js';
import { recordMembranes } from './record-membranes.js';

class Two extends Module {
  readonly a = this.addModule('a', new LIF());
  readonly b = this.addModule('b', new LIF({ vThreshold: 0.5 }));
  forward(x: tf.Tensor) {
    return this.b.forward(this.a.forward(x));
  }
}

describe('recordMembranes', () => {
  beforeAll(() => useBackend('cpu'));
  it("returns each layer's potentials with their shape and threshold, then restores the flags", () => {
    const m = new Two();
    const x = tf.tensor([1.5, 1.5, 1.5, 1.5], [4, 1]);
    const { result, records } = recordMembranes(m, () => m.forward(x));
    expect(result.shape).toEqual([4, 1]);
    expect([...records.keys()]).toEqual(['a', 'b']);
    expect(Array.from(records.get('a')!.h)).toEqual([0.75, 1.125, 0.75, 1.125]);
    expect(records.get('a')!.shape).toEqual([4, 1]);
    expect(records.get('b')!.threshold).toBe(0.5);
    expect(m.a.recordMembrane).toBe(false);
    m.forward(x);
    expect(m.a.lastMembrane).toBeUndefined();
  });
});
