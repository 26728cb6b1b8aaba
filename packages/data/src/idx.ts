import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HybridSpikeError } from '@hybridspike/core';
import { checkDataset, type Dataset } from './dataset.js';

/** Where Debian's `dataset-fashion-mnist` package puts the idx files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

function readMaybeGz(dir: string, base: string): { bytes: Uint8Array; path: string } {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) {
      const raw = readFileSync(path);
      const gz = raw[0] === 0x1f && raw[1] === 0x8b;
      try {
        return { bytes: gz ? new Uint8Array(gunzipSync(raw)) : new Uint8Array(raw), path };
      } catch (e) {
        throw new HybridSpikeError('DATA', `${path} is not a readable gzip file: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
  }
  throw new HybridSpikeError('DATA', `missing ${base} (or ${base}.gz) in ${dir}.`);
}

/** Parses one idx file (big-endian header: magic 0x0000 08 ndim, then ndim u32 sizes). */
export function parseIdx(
  bytes: Uint8Array,
  path: string,
  expectedDims: 1 | 3,
): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4 + 4 * expectedDims)
    throw new HybridSpikeError('DATA', `${path}: truncated idx header (${bytes.length} bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const want = 0x0800 + expectedDims;
  if (magic !== want) {
    throw new HybridSpikeError(
      'DATA',
      `${path}: wrong magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x${want.toString(16).padStart(8, '0')} (uint8 idx with ${expectedDims} dims).`,
    );
  }
  const dims = Array.from({ length: expectedDims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * expectedDims;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - start < size)
    throw new HybridSpikeError(
      'DATA',
      `${path}: truncated: header promises ${size} bytes of data, file has ${bytes.length - start}.`,
    );
  return { dims, data: bytes.subarray(start, start + size) };
}

/** Where {@link loadIdx} reads: the folder, the split, a dataset name and the class count. */
export interface IdxOptions {
  dir: string;
  split: 'train' | 'test';
  name?: string;
  classes?: number;
}

/** MNIST-format idx files (plain or gzipped) from a folder: `train-*` or `t10k-*`. */
export function loadIdx(options: IdxOptions): Dataset {
  const { dir, split } = options;
  if (!existsSync(dir)) {
    throw new HybridSpikeError(
      'DATA',
      `dataset folder ${dir} does not exist; put the idx files (train-images-idx3-ubyte[.gz], ...) there.`,
    );
  }
  const [imgName, lblName] = FILES[split];
  const img = readMaybeGz(dir, imgName);
  const lbl = readMaybeGz(dir, lblName);
  const images = parseIdx(img.bytes, img.path, 3);
  const labels = parseIdx(lbl.bytes, lbl.path, 1);
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new HybridSpikeError(
      'DATA',
      `${img.path} holds ${n} images but ${lbl.path} holds ${labels.dims[0]} labels.`,
    );
  }
  return checkDataset({
    name: options.name ?? `idx:${split}`,
    images: images.data,
    labels: labels.data,
    count: n,
    height: h,
    width: w,
    channels: 1,
    classes: options.classes ?? 10,
  });
}

/** Fashion-MNIST from `dir`, by default Debian's location when it is there. */
export function loadFashionMnist(options: { dir?: string; split: 'train' | 'test' }): Dataset {
  const dir = options.dir ?? DEBIAN_FASHION_MNIST_DIR;
  if (!existsSync(dir)) {
    throw new HybridSpikeError(
      'DATA',
      `Fashion-MNIST not found in ${dir}. Install it with 'apt-get install dataset-fashion-mnist' (Debian) or pass { dir } with the idx files.`,
    );
  }
  return loadIdx({ dir, split: options.split, name: `fashion-mnist:${options.split}` });
}
