import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError, Module } from '@hybridspike/core';
import { loadOnnxRuntime, toNCHW } from './ort-node.js';

/** One neuron layer as the tfjs side saw it: membrane potentials (time-major NHWC) and threshold. */
export interface ParityLayer {
  h: Float32Array;
  shape: number[];
  threshold: number;
}

/**
 * The tfjs side of a parity check: the logits of `inputs` and, for spike comparison, each neuron
 * layer's membrane by module path (`parityReference(model)` of `@hybridspike/neurons` gives both).
 */
export type OnnxReference = (inputs: tf.Tensor) => {
  logits: Float32Array;
  layers?: Map<string, ParityLayer>;
};

/** A model as a reference: its eval-mode logits, no layers. */
function logitsOnly(model: Module): OnnxReference {
  return (inputs) => {
    const wasTraining = model.training;
    model.eval();
    try {
      return { logits: tf.tidy(() => model.forward(inputs).dataSync() as Float32Array) };
    } finally {
      model.train(wasTraining);
    }
  };
}

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
  /** Mismatches away from a tie in samples without an earlier tie (those see other inputs downstream). */
  nonTieMismatches: number;
  /** Samples with a spike flipped at a threshold tie: their logits are exempt from `tolerance`. */
  tiedSamples: number;
  /**
   * True when no non-tie spike differs and every sample without a tie agrees in argmax and has
   * logits within `tolerance`. A tie excuses its own sample only, never the whole check.
   */
  ok: boolean;
  tolerance: number;
}

/**
 * Runs `bytes` in onnxruntime (CPU) and the tfjs side on `inputs` (NHWC `[N, H, W, C]`) and
 * compares logits and, for exports made with `debugSpikes`, every spike. The tfjs side is a
 * model (eval-mode logits) or an {@link OnnxReference} that also gives each neuron layer's
 * membrane (needed to compare spikes): `checkOnnx(bytes, parityReference(model), x, ...)`.
 */
export async function checkOnnx(
  bytes: Uint8Array,
  reference: Module | OnnxReference,
  inputs: tf.Tensor,
  options: { tolerance?: number; spikeOutputs?: { path: string; name: string }[] } = {},
): Promise<OnnxCheckReport> {
  const tolerance = options.tolerance ?? 1e-4;
  if (inputs.rank !== 4)
    throw new HybridSpikeError(
      'BAD_SHAPE',
      `checkOnnx inputs must be NHWC [N, H, W, C], got [${inputs.shape}].`,
    );
  const [N, H, W, C] = inputs.shape as [number, number, number, number];
  const ort = await loadOnnxRuntime('checkOnnx');
  const session = await ort.InferenceSession.create(bytes);
  const nchw = toNCHW(inputs.dataSync() as Float32Array, [N, H, W, C]);
  const feeds = { input: new ort.Tensor('float32', nchw, [N, C, H, W]) };
  const spikeOutputs = options.spikeOutputs ?? [];
  const results = await session.run(feeds, ['logits', ...spikeOutputs.map((s) => s.name)]);
  const ortLogits = results.logits!.data as Float32Array;

  const tfSide = (reference instanceof Module ? logitsOnly(reference) : reference)(inputs);
  if (spikeOutputs.length && !tfSide.layers)
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      'comparing spikes (spikeOutputs) needs the membranes of the tfjs side: pass parityReference(model) from @hybridspike/neurons instead of the model.',
    );
  const tfLogits = tfSide.logits;
  if (tfLogits.length !== ortLogits.length)
    throw new HybridSpikeError(
      'BAD_SHAPE',
      `logits differ in size: tfjs ${tfLogits.length}, onnxruntime ${ortLogits.length}.`,
    );
  const K = tfLogits.length / N;
  // Spikes, layer by layer in forward order. A mismatch at a threshold tie (float rounding may
  // flip it) taints its sample: that sample's later spikes and logits may differ legitimately.
  // Any other mismatch, in an untainted sample, is a real disagreement.
  const tainted = new Set<number>();
  let spikeMismatches = 0;
  let tieMismatches = 0;
  let nonTieMismatches = 0;
  for (const { path, name } of spikeOutputs) {
    const rec = tfSide.layers!.get(path);
    if (!rec) continue;
    const th = rec.threshold;
    const hN = toNCHW(rec.h, rec.shape);
    const o = results[name]!.data as Float32Array;
    const B = rec.shape[1]!;
    const per = o.length / (rec.shape[0]! * B);
    const tiedHere: number[] = [];
    for (let i = 0; i < o.length; i++) {
      const s = hN[i]! >= th ? 1 : 0;
      if (s === o[i]) continue;
      spikeMismatches++;
      const n = Math.floor(i / per) % B;
      if (Math.abs(hN[i]! - th) <= 1e-5) {
        tieMismatches++;
        tiedHere.push(n);
      } else if (!tainted.has(n)) nonTieMismatches++;
    }
    for (const n of tiedHere) tainted.add(n);
  }
  let agree = 0;
  let agreeClean = 0;
  const diffs: number[] = [];
  const cleanDiffs: number[] = [];
  for (let i = 0; i < N; i++) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < K; k++) {
      if (tfLogits[i * K + k]! > tfLogits[i * K + a]!) a = k;
      if (ortLogits[i * K + k]! > ortLogits[i * K + b]!) b = k;
      const d = Math.abs(tfLogits[i * K + k]! - ortLogits[i * K + k]!);
      diffs.push(d);
      if (!tainted.has(i)) cleanDiffs.push(d);
    }
    if (a === b) {
      agree++;
      if (!tainted.has(i)) agreeClean++;
    }
  }
  diffs.sort((x, y) => x - y);
  const cleanMax = cleanDiffs.reduce((m, d) => Math.max(m, d), 0);
  const maxAbsDiff = diffs[diffs.length - 1] ?? 0;
  return {
    samples: N,
    maxAbsDiff,
    medianAbsDiff: diffs[Math.floor(diffs.length / 2)] ?? 0,
    argmaxAgreement: agree / N,
    spikeMismatches,
    tieMismatches,
    nonTieMismatches,
    tiedSamples: tainted.size,
    tolerance,
    ok: agreeClean === N - tainted.size && nonTieMismatches === 0 && cleanMax <= tolerance,
  };
}
