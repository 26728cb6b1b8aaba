import * as tf from '@tensorflow/tfjs-core';
import { nativeCalls, nativeSwitch } from '@hybridspike/native';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../runtime.js';
import { maxRelDiff } from '../testing.js';
import { Rng } from '../rng.js';

// CI installs oneDNN and sets this: there, native kernels that do not start are a failure.
const required = process.env.HYBRIDSPIKE_REQUIRE_NATIVE === '1';
let kernels = 'wasm-simd';
beforeAll(async () => {
  kernels = (await initRuntime({ backend: 'wasm' })).kernels;
});

function random(rng: Rng, shape: number[]): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

/** Runs `f` on the native path and on the wasm path; returns both results as arrays. */
function bothPaths(f: () => tf.Tensor[]): { native: Float32Array[]; wasm: Float32Array[]; calls: number } {
  const before = nativeCalls.native;
  nativeSwitch.enabled = true;
  const n = tf.tidy(f);
  const calls = nativeCalls.native - before;
  nativeSwitch.enabled = false;
  const w = tf.tidy(f);
  nativeSwitch.enabled = true;
  const out = {
    native: n.map((t) => t.dataSync() as Float32Array),
    wasm: w.map((t) => t.dataSync() as Float32Array),
    calls,
  };
  tf.dispose([...n, ...w]);
  return out;
}

// [x shape, k, Co, stride, pad]: has8Vgg's convolutions (b16 and b24, 1 and 3 channels, folded
// time steps), has8ResNet's (7x7/2 stem, 3x3 stride 1 and 2, 1x1/2 downsample), and odd cases.
type Pad = 'same' | 'valid' | number;
const SHAPES: [[number, number, number, number], number, number, number, Pad][] = [
  [[4, 32, 32, 1], 3, 16, 1, 'same'],
  [[4, 16, 16, 16], 3, 32, 1, 'same'],
  [[4, 8, 8, 32], 3, 64, 1, 'same'],
  [[4, 4, 4, 64], 3, 128, 1, 'same'],
  [[4, 2, 2, 128], 3, 256, 1, 'same'],
  [[4, 32, 32, 3], 3, 24, 1, 'same'],
  [[4, 16, 16, 24], 3, 48, 1, 'same'],
  [[2, 32, 32, 3], 7, 64, 2, 3],
  [[2, 8, 8, 64], 3, 64, 1, 'same'],
  [[2, 8, 8, 64], 3, 128, 2, 'same'],
  [[2, 8, 8, 64], 1, 128, 2, 'valid'],
  [[2, 4, 4, 128], 3, 256, 2, 'same'],
  [[2, 9, 7, 3], 3, 5, 2, 'valid'],
  [[2, 11, 9, 3], 5, 4, 3, 2],
];

describe.skipIf(!required && process.env.HYBRIDSPIKE_KERNELS === 'wasm')(
  'native (oneDNN) kernels against the wasm path',
  () => {
    it('are registered where the addon was built (CI requires it)', () => {
      if (required) expect(kernels).toMatch(/^onednn-\d/);
    });

    for (const [xs, k, co, stride, pad] of SHAPES)
      it(`conv forward and both gradients agree: x ${xs.join('x')} k ${k} -> ${co}, stride ${stride}, pad ${pad}`, (ctx) => {
        if (!kernels.startsWith('onednn')) return ctx.skip();
        const rng = new Rng(11);
        const x = random(rng, xs);
        const w = random(rng, [k, k, xs[3], co]);
        const conv = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
        const dy = random(rng, conv(x, w).shape);
        const r = bothPaths(() => {
          const y = conv(x, w);
          const [dx, dw] = tf.grads(conv)([x, w], dy);
          return [y, dx!, dw!];
        });
        expect(r.calls).toBe(4); // the forward twice (tf.grads runs its own), both gradients
        for (let i = 0; i < 3; i++) expect(maxRelDiff(r.native[i]!, r.wasm[i]!)).toBeLessThan(1e-4);
        tf.dispose([x, w, dy]);
      });

    it('matmul (linear layers, their gradients, a batch) agrees', (ctx) => {
      if (!kernels.startsWith('onednn')) return ctx.skip();
      const rng = new Rng(3);
      const x = random(rng, [64, 48]);
      const w = random(rng, [48, 40]);
      const b3 = random(rng, [3, 48, 8]);
      const r = bothPaths(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)));
        const [dx, dw] = tf.grads(f)([x, w]);
        return [
          tf.matMul(x, w),
          dx!,
          dw!,
          tf.matMul(tf.reshape(x, [4, 16, 48]), tf.slice(b3, [0], [1])),
          tf.matMul(b3, b3, true, false),
        ];
      });
      // every product ran natively: the forward twice (tf.grads runs its own), both gradients, the
      // broadcast batch and the transposed batch
      expect(r.calls).toBe(6);
      for (let i = 0; i < r.native.length; i++)
        expect(maxRelDiff(r.native[i]!, r.wasm[i]!)).toBeLessThan(1e-4);
    });

    it('are deterministic: the same inputs give identical bits, call after call', (ctx) => {
      if (!kernels.startsWith('onednn')) return ctx.skip();
      const rng = new Rng(5);
      const x = random(rng, [8, 16, 16, 16]);
      const w = random(rng, [3, 3, 16, 32]);
      const dy = random(rng, [8, 16, 16, 32]);
      const run = () =>
        tf.tidy(() =>
          tf
            .grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))(
              [x, w],
              dy,
            )
            .map((t) => t.dataSync()),
        );
      const a = run();
      const b = run();
      expect(a[0]).toEqual(b[0]);
      expect(a[1]).toEqual(b[1]);
    });

    it('fall back to the wasm kernels where oneDNN does not apply (dilation)', (ctx) => {
      if (!kernels.startsWith('onednn')) return ctx.skip();
      const before = nativeCalls.fallback;
      const x = tf.ones([1, 8, 8, 2]) as tf.Tensor4D;
      const y = tf.conv2d(x, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, 'same', 'NHWC', 2);
      expect(nativeCalls.fallback).toBeGreaterThan(before);
      expect(y.dataSync()[2 * (3 * 8 + 3)]).toBe(18);
    });
  },
);

describe('without the addon', () => {
  const script = `
    import { initRuntime } from ${JSON.stringify(fileURLToPath(new URL('../index.ts', import.meta.url)))};
    try { const r = await initRuntime({ backend: 'wasm' }); console.log('OK ' + r.kernels); }
    catch (e) { console.log('ERR ' + e.message); }`;
  const file = join(mkdtempSync(join(tmpdir(), 'hs-no-addon-')), 'init.mts');
  writeFileSync(file, script);
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', file], {
      env: {
        ...process.env,
        HYBRIDSPIKE_QUIET: '1',
        HYBRIDSPIKE_NATIVE_ADDON: '/nonexistent/hybridspike_native.node',
        ...env,
      },
      encoding: 'utf8',
    }).stdout.trim();

  it('everything runs on the wasm kernels, and forcing native says why it cannot', () => {
    expect(run({ HYBRIDSPIKE_KERNELS: '' })).toBe('OK wasm-simd');
    expect(run({ HYBRIDSPIKE_KERNELS: 'native' })).toMatch(
      /^ERR HYBRIDSPIKE_KERNELS=native, but the native kernels are unavailable: the addon was not built .*libdnnl-dev/,
    );
    expect(run({ HYBRIDSPIKE_KERNELS: 'gpu' })).toMatch(
      /^ERR HYBRIDSPIKE_KERNELS must be 'wasm' or 'native'/,
    );
  }, 60_000);
});
