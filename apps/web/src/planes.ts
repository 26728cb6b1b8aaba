import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, registry, type ComponentRef } from '@hybridspike/core';
import type { SpikeEncoder } from '@hybridspike/encoders';
import '@hybridspike/encoders/plugin';

/**
 * Starts tfjs for the live encoder: the wasm backend with its binaries from `tfjs/` beside the
 * page (copied there by the build); if they cannot be fetched, says which URL failed and runs
 * on the cpu backend (the planes are exact integers either way).
 */
export async function startTensorRuntime(): Promise<{ backend: string; note?: string }> {
  const wasmPaths = new URL('tfjs/', document.baseURI).href;
  try {
    return await initRuntime({ backend: 'wasm', wasmPaths });
  } catch (e) {
    const { backend } = await initRuntime({ backend: 'cpu' });
    return { backend, note: (e as Error).message };
  }
}

/** The model's encoder (from its `hybridspike.encoder` metadata; HAS-8's bit planes if absent). */
export function encoderOf(meta: Record<string, string>): SpikeEncoder {
  const ref = meta['hybridspike.encoder']
    ? (JSON.parse(meta['hybridspike.encoder']) as ComponentRef | string)
    : { name: 'bitplane' };
  return registry.create('encoder', typeof ref === 'string' ? { name: ref } : ref) as SpikeEncoder;
}

/** Encodes one image (uint8 HWC) as the model's first layer does: `[T, H, W, C]` spikes. */
export function encodePlanes(
  encoder: SpikeEncoder,
  pixels: Uint8Array,
  [C, H, W]: [number, number, number],
): { T: number; data: Float32Array } {
  return tf.tidy(() => {
    // v / 255 as the training data and the ONNX input are made (float64, then rounded once).
    const x = tf.tensor4d(
      Float32Array.from(pixels, (v) => v / 255),
      [1, H, W, C],
    );
    const s = encoder.encode(x);
    return { T: s.shape[0]!, data: s.dataSync() as Float32Array };
  });
}
