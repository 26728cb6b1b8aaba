import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, type Module } from '@hybridspike/core';
import type { Dataset } from '@hybridspike/data';
import { parityReference } from '@hybridspike/neurons';
import { exportNir, importNir } from '@hybridspike/nir';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import { checkOnnx, type OnnxCheckReport } from '@hybridspike/onnx/check';
import { readFileSync, writeFileSync } from 'node:fs';
import { firstImages } from './build.js';

/** How two models' logits on the same images compare. */
function agreement(a: Float32Array, b: Float32Array, classes: number) {
  let maxAbsDiff = 0;
  let agree = 0;
  const n = a.length / classes;
  for (let i = 0; i < n; i++) {
    let [ia, ib] = [0, 0];
    for (let k = 0; k < classes; k++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i * classes + k]! - b[i * classes + k]!));
      if (a[i * classes + k]! > a[i * classes + ia]!) ia = k;
      if (b[i * classes + k]! > b[i * classes + ib]!) ib = k;
    }
    if (ia === ib) agree++;
  }
  return { maxAbsDiff, argmaxAgreement: n ? agree / n : 1 };
}

/**
 * Exports a trained spiking model to `.nir`, reads the file back as modules of ours and
 * compares their predictions on `samples` test images with the model's.
 */
export async function exportRunNir(model: Module, test: Dataset, out: string, samples: number, dt?: number) {
  const bytes = await exportNir(model, { inputShape: [test.channels, test.height, test.width], dt });
  writeFileSync(out, bytes);
  const { classifier, graph } = await importNir(bytes);
  const x = firstImages(test, samples);
  try {
    const a = tf.tidy(() => model.forward(x).dataSync() as Float32Array);
    const b = tf.tidy(() => classifier!.forward(x).dataSync() as Float32Array);
    const cmp = agreement(a, b, a.length / samples);
    return {
      out,
      format: 'nir',
      nodes: Object.keys(graph.nodes).length,
      samples,
      ...cmp,
      ok: cmp.argmaxAgreement === 1,
    };
  } finally {
    x.dispose();
  }
}

/** Options of {@link importNirFile}. */
export interface ImportNirCommandOptions {
  dt?: number;
  encoder?: string;
  onnx?: string;
  samples: number;
  steps: number;
}

/**
 * Reads a `.nir` file, runs it on random inputs (images through its encoder when it has one, else
 * random spikes of its Input's shape over `steps` steps), and with `onnx` exports it to ONNX and
 * checks it in onnxruntime (needs an encoder: the file's, or `encoder`).
 */
export async function importNirFile(file: string, o: ImportNirCommandOptions) {
  await initRuntime();
  const imported = await importNir(new Uint8Array(readFileSync(file)), { dt: o.dt, encoder: o.encoder });
  const input = imported.graph.nodes[imported.network.input]!;
  const shape = (('params' in input ? input.params.shape : undefined) as number[] | undefined) ?? [];
  const hwc = shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : shape;
  let output: number[];
  let report: OnnxCheckReport | null = null;
  if (imported.classifier) {
    const x = tf.randomUniform([o.samples, ...hwc], 0, 1, 'float32', 7);
    output = tf.tidy(() => Array.from(imported.classifier!.forward(x).shape));
    if (o.onnx) {
      const inputShape = shape as [number, number, number];
      const debug = exportOnnxDetailed(imported.classifier, { inputShape, debugSpikes: true });
      report = await checkOnnx(debug.bytes, parityReference(imported.classifier), x, {
        spikeOutputs: debug.spikeOutputs,
      });
      writeFileSync(o.onnx, exportOnnxDetailed(imported.classifier, { inputShape }).bytes);
    }
    x.dispose();
  } else {
    if (o.onnx)
      throw new Error(
        'the file names no spike encoder, so its ONNX model would have no image input: pass --encoder bitplane (or rate, latency).',
      );
    const s = tf.tidy(() =>
      tf.cast(tf.greater(tf.randomUniform([o.steps, o.samples, ...hwc], 0, 1, 'float32', 7), 0.7), 'float32'),
    );
    output = tf.tidy(() => Array.from(imported.network.forward(s).shape));
    s.dispose();
  }
  return {
    file,
    version: imported.version,
    dt: imported.dt,
    nodes: Object.fromEntries(Object.entries(imported.graph.nodes).map(([k, n]) => [k, n.type])),
    output,
    ...(o.onnx ? { onnx: o.onnx, parity: report } : {}),
    ok: report ? report.ok : true,
  };
}
