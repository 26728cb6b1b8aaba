import { HybridSpikeError } from '@hybridspike/core';
import type * as Ort from 'onnxruntime-node';
import { SPIKE_OUTPUTS_KEY } from './export-keys.js';
import { readOnnxMetadata } from './proto.js';
import { loadOnnxRuntime, toNCHW } from './ort-node.js';

/** The part of onnxruntime (`onnxruntime-node` or `onnxruntime-web`) that {@link predictOnnx} uses. */
export type OrtLike = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

/** What {@link predictOnnx} returns, per image. */
export interface Prediction {
  /** Softmax of the logits, `[N][classes]`. */
  probabilities: Float32Array[];
  /** The most probable class of each image. */
  classes: number[];
  logits: Float32Array[];
  /**
   * Spikes per neuron layer (module path) and image, summed over time and neurons, when the model
   * was exported with `debugSpikes` (its metadata lists the layer outputs); else empty.
   */
  spikeCounts: Record<string, number[]>;
}

function softmax(z: Float32Array): Float32Array {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Runs an exported model on NHWC images (`[N, H, W, C]`, values as the model was trained on, e.g.
 * bytes / 255) with one call: probabilities, classes, logits and, for exports with
 * `debugSpikes`, spike counts per layer. Node: onnxruntime-node is imported when `ort` is not
 * given; browsers pass `ort` (`await import('onnxruntime-web')`).
 *
 * @example
 * ```ts
 * const { classes, probabilities } = await predictOnnx(bytes, pixels, [1, 28, 28, 1]);
 * ```
 */
export async function predictOnnx(
  model: Uint8Array,
  images: Float32Array,
  shape: [number, number, number, number],
  options: { ort?: OrtLike } = {},
): Promise<Prediction> {
  const [N, H, W, C] = shape;
  if (images.length !== N * H * W * C)
    throw new HybridSpikeError(
      'BAD_SHAPE',
      `predictOnnx: ${images.length} values do not fill NHWC [${shape}] (${N * H * W * C} needed).`,
    );
  if (images.some((v) => !Number.isFinite(v)))
    throw new HybridSpikeError('NON_FINITE', 'predictOnnx: the images hold NaN or Infinity.');
  const ort = options.ort ?? (await loadOnnxRuntime('predictOnnx'));
  const session = await ort.InferenceSession.create(model);
  const layers = JSON.parse(readOnnxMetadata(model)[SPIKE_OUTPUTS_KEY] ?? '[]') as {
    path: string;
    name: string;
  }[];
  const feeds = {
    [session.inputNames[0]!]: new ort.Tensor('float32', toNCHW(images, shape), [N, C, H, W]),
  };
  const out = await session.run(feeds, ['logits', ...layers.map((l) => l.name)]);
  const flat = out.logits!.data as Float32Array;
  const K = flat.length / N;
  const logits = Array.from({ length: N }, (_, i) => flat.slice(i * K, (i + 1) * K));
  const probabilities = logits.map(softmax);
  const classes = probabilities.map((p) => p.indexOf(Math.max(...p)));
  const spikeCounts: Record<string, number[]> = {};
  for (const l of layers) {
    const s = out[l.name]!;
    const d = s.data as Float32Array;
    const [T, B] = s.dims as number[];
    const per = d.length / (T! * B!);
    spikeCounts[l.path] = Array.from({ length: B! }, (_, b) => {
      let n = 0;
      for (let t = 0; t < T!; t++) for (let i = 0; i < per; i++) n += d[(t * B! + b) * per + i]!;
      return n;
    });
  }
  return { probabilities, classes, logits, spikeCounts };
}
