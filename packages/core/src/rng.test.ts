import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.uniform());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 20 }, () => c.uniform())).not.toEqual(xa);
  });

  it('restores its state exactly, normals included', () => {
    const a = new Rng('seed');
    a.normal();
    const state = a.getState();
    const next = [a.normal(), a.uniform(), a.normal()];
    const b = new Rng(0);
    b.setState(state);
    expect([b.normal(), b.uniform(), b.normal()]).toEqual(next);
  });

  it('draws uniforms with the right mean and normals with the right moments', () => {
    const r = new Rng(1);
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.02);
  });

  it('shuffles into a permutation', () => {
    const p = new Rng(3).shuffle(Array.from({ length: 100 }, (_, i) => i)) as number[];
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
