import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError, type Module } from '@hybridspike/core';
import { recordMembranes } from '@hybridspike/neurons';
import * as ort from 'onnxruntime-node';

/** Result of {@link checkOnnx}: the tfjs model (eval mode) against onnxruntime on the same inputs. */
export interface OnnxCheckReport {
  samples: number;
  maxAbsDiff: number;
  medianAbsDiff: number;
  /** Fraction of samples whose argmax agrees. */
  argmaxAgreement: number;
  /** Spikes that differ, over every neuron layer exposed by the export (debugSpikes). */
  spikeMismatches: number;
  /** Of those, the ones at a threshold tie (|h - v_th| <= 1e-5), which float rounding may flip. */
  tieMismatches: number;
  /** Mismatches away from a tie, up to the first layer with a tie (later layers see other inputs). */
  nonTieMismatches: number;
  /** True when argmax agrees everywhere, logits are within `tolerance` unless a tie was seen, and no non-tie spike differs. */
  ok: boolean;
  tolerance: number;
}

/** `[..., H, W, C]` time-major NHWC data -> NCHW order (`[T, N, C, H, W]` / `[N, C, H, W]`). */
function toNCHW(data: Float32Array, shape: number[]): Float32Array {
  if (shape.length < 4) return data;
  const [H, W, C] = shape.slice(-3) as [number, number, number];
  const outer = data.length / (H * W * C);
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[o * H * W * C + (c * H + y) * W + x] = data[o * H * W * C + (y * W + x) * C + c]!;
  return out;
}

/**
 * Runs `bytes` in onnxruntime (CPU) and `model` in tfjs eval mode on `inputs` (NHWC
 * `[N, H, W, C]`) and compares logits and, for exports made with `debugSpikes`, every spike.
 */
export async function checkOnnx(bytes: Uint8Array, model: Module, inputs: tf.Tensor, options: { tolerance?: number; spikeOutputs?: { path: string; name: string }[] } = {}): Promise<OnnxCheckReport> {
  const tolerance = options.tolerance ?? 1e-4;
  if (inputs.rank !== 4) throw new HybridSpikeError('BAD_SHAPE', `checkOnnx inputs must be NHWC [N, H, W, C], got [${inputs.shape}].`);
  const [N, H, W, C] = inputs.shape as [number, number, number, number];
  const session = await ort.InferenceSession.create(bytes);
  const nchw = toNCHW(inputs.dataSync() as Float32Array, [N, H, W, C]);
  const feeds = { input: new ort.Tensor('float32', nchw, [N, C, H, W]) };
  const spikeOutputs = options.spikeOutputs ?? [];
  const results = await session.run(feeds, ['logits', ...spikeOutputs.map((s) => s.name)]);
  const ortLogits = results.logits!.data as Float32Array;

  const wasTraining = model.training;
  model.eval();
  let recorded: ReturnType<typeof recordMembranes<Float32Array>>;
  try {
    recorded = recordMembranes(model, () => tf.tidy(() => model.forward(inputs).dataSync() as Float32Array));
  } finally {
    model.train(wasTraining);
  }
  const tfLogits = recorded.result;
  if (tfLogits.length !== ortLogits.length) throw new HybridSpikeError('BAD_SHAPE', `logits differ in size: tfjs ${tfLogits.length}, onnxruntime ${ortLogits.length}.`);
  const diffs = Array.from(tfLogits, (v, i) => Math.abs(v - ortLogits[i]!)).sort((a, b) => a - b);
  const K = tfLogits.length / N;
  let agree = 0;
  for (let i = 0; i < N; i++) {
    let a = 0;
    let b = 0;
    for (let k = 1; k < K; k++) {
      if (tfLogits[i * K + k]! > tfLogits[i * K + a]!) a = k;
      if (ortLogits[i * K + k]! > ortLogits[i * K + b]!) b = k;
    }
    if (a === b) agree++;
  }
  let spikeMismatches = 0;
  let tieMismatches = 0;
  let nonTieMismatches = 0;
  let tieSeen = false;
  for (const { path, name } of spikeOutputs) {
    const rec = recorded.records.get(path);
    if (!rec) continue;
    const th = rec.threshold;
    const hN = toNCHW(rec.h, rec.shape);
    const o = results[name]!.data as Float32Array;
    let layerTies = 0;
    for (let i = 0; i < o.length; i++) {
      const s = hN[i]! >= th ? 1 : 0;
      if (s === o[i]) continue;
      spikeMismatches++;
      if (Math.abs(hN[i]! - th) <= 1e-5) layerTies++;
      else if (!tieSeen) nonTieMismatches++;
    }
    tieMismatches += layerTies;
    if (layerTies > 0) tieSeen = true;
  }
  const maxAbsDiff = diffs[diffs.length - 1] ?? 0;
  return {
    samples: N,
    maxAbsDiff,
    medianAbsDiff: diffs[Math.floor(diffs.length / 2)] ?? 0,
    argmaxAgreement: agree / N,
    spikeMismatches,
    tieMismatches,
    nonTieMismatches,
    tolerance,
    ok: agree === N && nonTieMismatches === 0 && (maxAbsDiff <= tolerance || tieMismatches > 0),
  };
}
