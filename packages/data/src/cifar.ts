import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HybridSpikeError } from '@hybridspike/core';
import { checkDataset, type Dataset } from './dataset.js';

const PIXELS = 32 * 32;

function readRecords(
  paths: string[],
  labelBytes: 1 | 2,
  labelIndex: 0 | 1,
  name: string,
  classes: number,
): Dataset {
  const rec = labelBytes + 3 * PIXELS;
  const chunks = paths.map((p) => {
    if (!existsSync(p))
      throw new HybridSpikeError(
        'DATA',
        `missing CIFAR file ${p}; download the binary version and pass its folder as { dir }.`,
      );
    const b = new Uint8Array(readFileSync(p));
    if (b.length === 0 || b.length % rec !== 0) {
      throw new HybridSpikeError(
        'DATA',
        `${p}: ${b.length} bytes is not a whole number of ${rec}-byte records (truncated or not the binary version?).`,
      );
    }
    return b;
  });
  const count = chunks.reduce((a, b) => a + b.length / rec, 0);
  const images = new Uint8Array(count * 3 * PIXELS);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const b of chunks) {
    for (let r = 0; r < b.length / rec; r++, n++) {
      const base = r * rec;
      labels[n] = b[base + labelIndex]!;
      // Stored as three 32x32 planes (R, G, B); we keep NHWC.
      const px = base + labelBytes;
      const out = n * 3 * PIXELS;
      for (let i = 0; i < PIXELS; i++) {
        images[out + 3 * i] = b[px + i]!;
        images[out + 3 * i + 1] = b[px + PIXELS + i]!;
        images[out + 3 * i + 2] = b[px + 2 * PIXELS + i]!;
      }
    }
  }
  return checkDataset({ name, images, labels, count, height: 32, width: 32, channels: 3, classes });
}

function checkDir(dir: string, what: string): void {
  if (!existsSync(dir))
    throw new HybridSpikeError(
      'DATA',
      `${what} folder ${dir} does not exist; it must hold the binary version's .bin files.`,
    );
}

/** CIFAR-10 binary batches (`data_batch_1..5.bin`, `test_batch.bin`) from a folder. */
export function loadCifar10(options: { dir: string; split: 'train' | 'test' }): Dataset {
  checkDir(options.dir, 'CIFAR-10');
  const files =
    options.split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  return readRecords(
    files.map((f) => join(options.dir, f)),
    1,
    0,
    `cifar10:${options.split}`,
    10,
  );
}

/** CIFAR-100 binary (`train.bin`, `test.bin`; coarse then fine label byte) from a folder. */
export function loadCifar100(options: {
  dir: string;
  split: 'train' | 'test';
  labels?: 'fine' | 'coarse';
}): Dataset {
  checkDir(options.dir, 'CIFAR-100');
  const fine = (options.labels ?? 'fine') === 'fine';
  return readRecords(
    [join(options.dir, `${options.split}.bin`)],
    2,
    fine ? 1 : 0,
    `cifar100-${fine ? 'fine' : 'coarse'}:${options.split}`,
    fine ? 100 : 20,
  );
}
