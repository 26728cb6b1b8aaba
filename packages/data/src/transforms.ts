import { HybridSpikeError } from '@hybridspike/core';
import type { Dataset } from './dataset.js';

/**
 * The resize a `size x size` trial uses for `from` images: `'pad'` when the target is at least as
 * large (28x28 MNIST on a 32x32 canvas), else `'bilinear'`. One rule for training, export and the
 * web page, so a digit drawn there reaches the model as training data did.
 */
export function resizeModeFor(
  from: { height: number; width: number },
  size: { height: number; width: number },
): 'pad' | 'bilinear' {
  return size.height >= from.height && size.width >= from.width ? 'pad' : 'bilinear';
}

/**
 * Resizes every image once, up front: `'pad'` centres it on a zero canvas (28x28 MNIST -> 32x32,
 * the usual HAS-8 input), `'bilinear'` and `'nearest'` resample (align-corners false, as PyTorch).
 */
export function resizeDataset(
  ds: Dataset,
  size: { height: number; width: number },
  mode: 'pad' | 'bilinear' | 'nearest' = 'pad',
): Dataset {
  const { height: H, width: W } = size;
  const C = ds.channels;
  if (H === ds.height && W === ds.width) return ds;
  if (mode === 'pad' && (H < ds.height || W < ds.width)) {
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      `cannot pad ${ds.height}x${ds.width} images to a smaller ${H}x${W}; use mode 'bilinear'.`,
    );
  }
  const out = new Uint8Array(ds.count * H * W * C);
  const per = ds.height * ds.width * C;
  const top = Math.floor((H - ds.height) / 2);
  const left = Math.floor((W - ds.width) / 2);
  const sy = ds.height / H;
  const sx = ds.width / W;
  for (let n = 0; n < ds.count; n++) {
    const src = ds.images.subarray(n * per, (n + 1) * per);
    const dst = n * H * W * C;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          let v = 0;
          if (mode === 'pad') {
            const yy = y - top;
            const xx = x - left;
            v =
              yy >= 0 && yy < ds.height && xx >= 0 && xx < ds.width ? src[(yy * ds.width + xx) * C + c]! : 0;
          } else if (mode === 'nearest') {
            v =
              src[
                (Math.min(ds.height - 1, Math.floor(y * sy)) * ds.width +
                  Math.min(ds.width - 1, Math.floor(x * sx))) *
                  C +
                  c
              ]!;
          } else {
            const fy = Math.max(0, (y + 0.5) * sy - 0.5);
            const fx = Math.max(0, (x + 0.5) * sx - 0.5);
            const y0 = Math.min(ds.height - 1, Math.floor(fy));
            const x0 = Math.min(ds.width - 1, Math.floor(fx));
            const y1 = Math.min(ds.height - 1, y0 + 1);
            const x1 = Math.min(ds.width - 1, x0 + 1);
            const wy = fy - y0;
            const wx = fx - x0;
            const at = (yy: number, xx: number) => src[(yy * ds.width + xx) * C + c]!;
            v = Math.round(
              (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1)),
            );
          }
          out[dst + (y * W + x) * C + c] = v;
        }
      }
    }
  }
  return { ...ds, images: out, height: H, width: W };
}

/** Per-channel mean and standard deviation of the images scaled to [0, 1]. */
export function channelStats(ds: Dataset): { mean: number[]; std: number[] } {
  const C = ds.channels;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  for (let i = 0; i < ds.images.length; i++) {
    const v = ds.images[i]! / 255;
    sum[i % C]! += v;
    sq[i % C]! += v * v;
  }
  const n = ds.images.length / C;
  const mean = Array.from(sum, (s) => s / n);
  return { mean, std: Array.from(sq, (s, c) => Math.sqrt(Math.max(1e-12, s / n - mean[c]! ** 2))) };
}
