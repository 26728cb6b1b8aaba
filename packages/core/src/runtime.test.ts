import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { currentBackend, initRuntime } from './runtime.js';

describe('initRuntime', () => {
  const saved = process.env.HYBRIDSPIKE_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.HYBRIDSPIKE_BACKEND;
    else process.env.HYBRIDSPIKE_BACKEND = saved;
  });

  it('starts a backend when none is forced, preferring node, then wasm', async () => {
    delete process.env.HYBRIDSPIKE_BACKEND;
    const { backend } = await initRuntime();
    expect(['node', 'wasm']).toContain(backend);
    expect(currentBackend()).toBe(backend);
  });

  it('honours HYBRIDSPIKE_BACKEND and options.backend', async () => {
    process.env.HYBRIDSPIKE_BACKEND = 'cpu';
    expect((await initRuntime()).backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initRuntime({ backend: 'wasm' })).backend).toBe('wasm');
  });

  it('rejects an unknown backend name and explains a missing tfjs-node', async () => {
    process.env.HYBRIDSPIKE_BACKEND = 'gpu';
    await expect(initRuntime()).rejects.toThrow(/HYBRIDSPIKE_BACKEND='gpu' is not a backend/);
    delete process.env.HYBRIDSPIKE_BACKEND;
    let nodeLoads = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      nodeLoads = false;
    }
    if (!nodeLoads) await expect(initRuntime({ backend: 'node' })).rejects.toThrow(/could not be started.*tfjs-node/);
  });
});
