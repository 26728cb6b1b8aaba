import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { currentBackend, initRuntime, pickBackend } from './runtime.js';

describe('initRuntime', () => {
  const saved = process.env.HYBRIDSPIKE_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.HYBRIDSPIKE_BACKEND;
    else process.env.HYBRIDSPIKE_BACKEND = saved;
  });

  it('starts a backend when none is forced', async () => {
    delete process.env.HYBRIDSPIKE_BACKEND;
    const { backend, threads } = await initRuntime();
    expect(['node', 'wasm']).toContain(backend);
    expect(currentBackend()).toBe(backend);
    // Every core unless HYBRIDSPIKE_THREADS says otherwise (the threaded wasm build under Node).
    const { availableParallelism } = await import('node:os');
    if (backend === 'wasm' && !process.env.HYBRIDSPIKE_THREADS)
      expect(threads).toBe(Math.min(8, availableParallelism()));
  });

  it('rejects a thread count that is not an integer from 1 to 8', async () => {
    await expect(initRuntime({ threads: 0 })).rejects.toThrow(
      /threads.*must be an integer from 1 to 8 .*got '0'/,
    );
    await expect(initRuntime({ threads: 1.5 })).rejects.toThrow(/got '1.5'/);
  });

  it('prefers node, then wasm, then cpu, taking the first that starts', async () => {
    const starts = (ok: string[]) => {
      const tried: string[] = [];
      const start = async (name: string) => {
        tried.push(name);
        return ok.includes(name);
      };
      return { start, tried };
    };
    const all = starts(['node', 'wasm', 'cpu']);
    expect(await pickBackend(all.start)).toEqual({ backend: 'node', skipped: [] });
    expect(all.tried).toEqual(['node']);
    const noNode = starts(['wasm', 'cpu']);
    expect(await pickBackend(noNode.start)).toEqual({ backend: 'wasm', skipped: ['node'] });
    expect(await pickBackend(starts(['cpu', 'node']).start)).toEqual({ backend: 'node', skipped: [] });
    expect(await pickBackend(starts(['cpu']).start)).toEqual({ backend: 'cpu', skipped: ['node', 'wasm'] });
    await expect(pickBackend(starts([]).start)).rejects.toThrow(
      /no tensor backend could be started \(tried node, wasm, cpu\)\. Install one .*npm install @tensorflow\/tfjs-backend-wasm@4\.22\.0/,
    );
  });

  it('inside a bundle (no wasm-threads module beside it) wasm still starts, on 1 thread, and says why', async () => {
    const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.vitest');
    mkdirSync(dir, { recursive: true });
    const entry = join(dir, 'bundle-entry.ts');
    writeFileSync(
      entry,
      "import { initRuntime } from '@hybridspike/core';\nconsole.log(JSON.stringify(await initRuntime()));\n",
    );
    const { build } = await import('esbuild');
    const out = join(dir, 'bundle-out.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      conditions: ['@hybridspike/source'],
      external: ['@tensorflow/*'],
      outfile: out,
      logLevel: 'silent',
    });
    const env = { ...process.env };
    delete env.HYBRIDSPIKE_THREADS;
    delete env.HYBRIDSPIKE_BACKEND;
    const r = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000, env });
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ backend: 'wasm', threads: 1 });
    if (availableParallelism() > 1)
      expect(r.stderr).toMatch(/threaded wasm backend failed to start .*running on 1 thread/);
  });

  it('importing the packages does no work: no backend, no kernel, no gradient, no process handler until initRuntime()', () => {
    const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.vitest');
    mkdirSync(dir, { recursive: true });
    const script = join(dir, 'quiet-import.mjs');
    writeFileSync(
      script,
      [
        "const before = process.listeners('uncaughtException').length;",
        "const tf = await import('@tensorflow/tfjs-core');",
        "await import('@hybridspike/core');",
        "const state = { backends: Object.keys(tf.engine().registryFactory), filterGrad: !!tf.getKernel('Conv2DBackpropFilter', 'cpu'), reluGrad: !!tf.getGradient('Relu'), handlers: process.listeners('uncaughtException').length - before };",
        "const { initRuntime } = await import('@hybridspike/core');",
        "await initRuntime({ backend: 'cpu' });",
        "state.after = { backends: Object.keys(tf.engine().registryFactory).sort(), filterGrad: !!tf.getKernel('Conv2DBackpropFilter', 'cpu'), reluGrad: !!tf.getGradient('Relu') };",
        'console.log(JSON.stringify(state));',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const state = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(state).toMatchObject({ backends: [], filterGrad: false, reluGrad: false, handlers: 0 });
    expect(state.after).toEqual({ backends: ['cpu', 'wasm'], filterGrad: true, reluGrad: true });
    expect(r.stderr).toMatch(
      /replaced tfjs kernels with faster ones: Conv2DBackpropInput\/wasm, Conv2DBackpropFilter\/cpu, BatchMatMul\/wasm, AvgPoolGrad\/wasm, Identity\/wasm\n/,
    );
  });

  it("a user's uncaught error after picking wasm surfaces as itself with exit 1 (not from the wasm bundle, exit 7)", () => {
    // The script must live in this package so that it resolves '@hybridspike/core' to this source.
    const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.vitest');
    mkdirSync(dir, { recursive: true });
    const script = join(dir, 'throws-after-init.mjs');
    writeFileSync(
      script,
      "import { initRuntime } from '@hybridspike/core';\nawait initRuntime({ backend: 'wasm' });\nthrow new Error('user bug here');\n",
    );
    const r = spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toMatch(/Error: user bug here/);
    expect(r.stderr).not.toMatch(/tfjs-backend-wasm\.js/);
    expect(r.status).toBe(1);
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
    if (!nodeLoads)
      await expect(initRuntime({ backend: 'node' })).rejects.toThrow(/could not be started.*tfjs-node/);
  });
});
