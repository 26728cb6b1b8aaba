import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { resizeDataset, resizeModeFor } from './transforms.js';

describe('transforms', () => {
  it('resizeModeFor pads up to a larger canvas and resamples down', () => {
    const mnist = { height: 28, width: 28 };
    expect(resizeModeFor(mnist, { height: 32, width: 32 })).toBe('pad');
    expect(resizeModeFor(mnist, { height: 28, width: 28 })).toBe('pad');
    expect(resizeModeFor(mnist, { height: 16, width: 16 })).toBe('bilinear');
    expect(resizeModeFor(mnist, { height: 32, width: 16 })).toBe('bilinear');
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
});
