import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCifar10, loadCifar100 } from './cifar.js';

const tmp = mkdtempSync(join(tmpdir(), 'hs-cifar-'));

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
