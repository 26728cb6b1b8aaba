import * as ort from 'onnxruntime-web';
import { readOnnxMetadata, SPIKE_OUTPUTS_KEY } from '@hybridspike/onnx/metadata';

/** An exported model opened in onnxruntime-web, with what its metadata says about it. */
export interface LoadedModel {
  session: ort.InferenceSession;
  /** The model's metadata_props (config, T, accuracy, energy, ... as the exporter wrote them). */
  meta: Record<string, string>;
  /** `[C, H, W]` of one input image. */
  inputShape: [number, number, number];
  /** Debug spike outputs (module path, output name), in layer order; empty for a plain export. */
  spikeOutputs: { path: string; name: string }[];
  /** The execution provider the session runs on. */
  provider: 'webgpu' | 'wasm';
}

/** One image through the model: logits, their softmax, and each exposed layer's spikes. */
export interface Prediction {
  logits: Float32Array;
  probabilities: Float32Array;
  spikes: { path: string; dims: number[]; data: Float32Array }[];
}

function inputShapeOf(meta: Record<string, string>): [number, number, number] {
  const raw = meta['hybridspike.input_shape'];
  const shape = raw ? (JSON.parse(raw) as unknown) : null;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0))
    throw new Error(
      "this .onnx has no 'hybridspike.input_shape' metadata: export it with @hybridspike/onnx (>= 0.2) or `hybridspike web <sweep>`.",
    );
  return shape as [number, number, number];
}

/**
 * Opens ONNX bytes in onnxruntime-web: WebGPU when the browser has it (falling back to wasm if
 * the session cannot start there), else wasm on one thread (no cross-origin isolation needed).
 */
export async function loadModel(bytes: Uint8Array): Promise<LoadedModel> {
  const meta = readOnnxMetadata(bytes);
  const inputShape = inputShapeOf(meta);
  const spikeOutputs = meta[SPIKE_OUTPUTS_KEY]
    ? (JSON.parse(meta[SPIKE_OUTPUTS_KEY]) as { path: string; name: string }[])
    : [];
  ort.env.wasm.numThreads = 1;
  const gpu = typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu;
  if (gpu) {
    try {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
      return { session, meta, inputShape, spikeOutputs, provider: 'webgpu' };
    } catch (e) {
      console.warn(`[hybridspike] WebGPU session failed (${(e as Error).message}); using wasm`);
    }
  }
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  return { session, meta, inputShape, spikeOutputs, provider: 'wasm' };
}

/** Softmax in float64, rounded once to float32 (what onnxruntime-node's logits give in Node). */
export function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / sum);
}

/** `pixels` uint8 HWC at the model's size -> NCHW float32 in [0, 1], the export's input. */
export function toInput(pixels: Uint8Array, [C, H, W]: [number, number, number]): Float32Array {
  if (pixels.length !== C * H * W)
    throw new Error(`input has ${pixels.length} values; the model takes ${C}x${H}x${W}.`);
  const x = new Float32Array(C * H * W);
  for (let y = 0; y < H; y++)
    for (let xx = 0; xx < W; xx++)
      for (let c = 0; c < C; c++) x[(c * H + y) * W + xx] = pixels[(y * W + xx) * C + c]! / 255;
  return x;
}

/** Runs one image (uint8 HWC at the model's input size). */
export async function predict(model: LoadedModel, pixels: Uint8Array): Promise<Prediction> {
  const [C, H, W] = model.inputShape;
  const input = new ort.Tensor('float32', toInput(pixels, model.inputShape), [1, C, H, W]);
  const out = await model.session.run({ input });
  const logits = out.logits!.data as Float32Array;
  const spikes = model.spikeOutputs
    .filter((s) => out[s.name])
    .map((s) => ({ path: s.path, dims: [...out[s.name]!.dims], data: out[s.name]!.data as Float32Array }));
  return { logits, probabilities: softmax(logits), spikes };
}
