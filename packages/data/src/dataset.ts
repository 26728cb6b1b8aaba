import { HybridSpikeError } from '@hybridspike/core';

/**
 * An image classification dataset held in memory, decoded once: images as uint8 NHWC
 * (`count * height * width * channels` bytes), labels as uint8.
 */
export interface Dataset {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
}

/** Checks the sizes of a dataset's arrays agree with its header fields. */
export function checkDataset(ds: Dataset): Dataset {
  const per = ds.height * ds.width * ds.channels;
  if (ds.count === 0) throw new HybridSpikeError('EMPTY', `dataset '${ds.name}' has no samples.`);
  if (ds.images.length !== ds.count * per) {
    throw new HybridSpikeError(
      'DATA',
      `dataset '${ds.name}': ${ds.images.length} image bytes for ${ds.count} samples of ${ds.height}x${ds.width}x${ds.channels}.`,
    );
  }
  if (ds.labels.length !== ds.count) {
    throw new HybridSpikeError(
      'DATA',
      `dataset '${ds.name}': ${ds.labels.length} labels for ${ds.count} images.`,
    );
  }
  for (let i = 0; i < ds.labels.length; i++) {
    if (ds.labels[i]! >= ds.classes)
      throw new HybridSpikeError(
        'DATA',
        `dataset '${ds.name}': label ${ds.labels[i]} at ${i} is not below ${ds.classes} classes.`,
      );
  }
  return ds;
}

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const per = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    if (!(i >= 0 && i < ds.count))
      throw new HybridSpikeError('BAD_ARGUMENT', `subset index ${i} is outside 0..${ds.count - 1}.`);
    images.set(ds.images.subarray(i * per, (i + 1) * per), j * per);
    labels[j] = ds.labels[i]!;
  }
  return { ...ds, name, images, labels, count: indices.length };
}
