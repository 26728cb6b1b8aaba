// Test and bench helpers shared by the packages of this repository (subpath /internal/testing):
// not part of the public API; their signatures may change in any release.
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, type BackendName } from './runtime.js';

/** Backends every numeric test runs on (tfjs `describeWithFlags` in spirit). */
export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Switches the global tfjs backend for the tests of one `describe` block. */
export async function useBackend(name: BackendName): Promise<void> {
  await initRuntime({ backend: name });
}

/** Largest |a-b| / max(1, |b|) over two equally shaped arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Data of a tensor as a plain Float32Array, disposing nothing. */
export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Median wall time in ms of `reps` calls of `fn` after one warm-up call (for bench scripts). */
export async function medianMs(fn: () => unknown, reps: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

/**
 * Fails unless the embedded SIMD module `out` is what `entry` compiles to now (paths from the
 * repository root; see scripts/build-wasm.mjs): an edit of the AssemblyScript source must be
 * rebuilt before it ships.
 */
export async function expectEmbeddedWasmFresh(entry: string, out: string, name: string): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', entry, out, name, '--check'], {
    encoding: 'utf8',
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`embedded wasm check failed: ${r.stderr || r.error?.message}`);
}
