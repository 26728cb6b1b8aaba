import { Rng } from '@hybridspike/core';
import { describe, expect, it } from 'vitest';
import { batches, batchCount, trainValidationSplit } from './batches.js';
import type { Dataset } from './dataset.js';
import { channelStats, resizeDataset } from './transforms.js';

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

describe('batching and splits', () => {
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
});
