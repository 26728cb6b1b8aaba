import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist, loadIdx } from './idx.js';

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
