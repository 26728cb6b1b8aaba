// The threaded wasm backend (HYBRIDSPIKE_THREADS) must change no number: the same short training
// run in separate processes on 1 and 2 threads, and twice on 2, gives bit-identical losses,
// weights and logits. oneDNN's kernels split their sums by thread: there the same thread count
// repeats bit for bit, and 1 against 2 threads agree to float32 summation tolerance.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./fit-probe.ts', import.meta.url));

function run(
  threads: string,
  kernels = 'wasm',
): {
  backend: string;
  threads: number;
  kernels: string;
  losses: number[];
  weights: string;
  logits: string;
} {
  const r = spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', probe], {
    encoding: 'utf8',
    env: { ...process.env, HYBRIDSPIKE_THREADS: threads, HYBRIDSPIKE_KERNELS: kernels },
    timeout: 240_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`probe failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

describe('threads of the wasm backend', () => {
  it('1 and 2 threads train to bit-identical numbers, and 2 threads do so run to run', () => {
    const one = run('1');
    const two = run('2');
    const again = run('2');
    expect(one).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(two).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(one.losses).toHaveLength(2);
    expect(one.losses.every(Number.isFinite)).toBe(true);
    const numbers = ({ losses, weights, logits }: typeof one) => ({ losses, weights, logits });
    expect(numbers(two)).toEqual(numbers(one));
    expect(numbers(again)).toEqual(numbers(two));
  });

  it('on the native kernels: the same thread count repeats bit for bit; 1 and 2 threads agree closely', (ctx) => {
    const probe2 = (() => {
      try {
        return run('2', 'native');
      } catch (e) {
        if (process.env.HYBRIDSPIKE_REQUIRE_NATIVE === '1') throw e;
        return null;
      }
    })();
    if (!probe2) return ctx.skip();
    expect(probe2.kernels).toMatch(/^onednn-/);
    const again = run('2', 'native');
    const one = run('1', 'native');
    expect([again.losses, again.weights, again.logits]).toEqual([
      probe2.losses,
      probe2.weights,
      probe2.logits,
    ]);
    for (let i = 0; i < one.losses.length; i++)
      expect(Math.abs(one.losses[i]! - probe2.losses[i]!)).toBeLessThan(1e-4 * Math.abs(one.losses[i]!));
  });

  it('rejects a bad HYBRIDSPIKE_THREADS with a message that names it', () => {
    expect(() => run('two')).toThrow(/HYBRIDSPIKE_THREADS must be an integer from 1 to 8 .*got 'two'/);
  });
});
