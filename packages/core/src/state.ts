import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from './errors.js';
import type { Module } from './module.js';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors.js';

/** Parameters and buffers of `module` as a safetensors byte array. */
export function serializeModule(module: Module, metadata: Record<string, string> = {}): Uint8Array {
  const arrays = new Map<string, NamedArray>();
  for (const [name, v] of module.stateDict())
    arrays.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  return encodeSafetensors(arrays, metadata);
}

/**
 * Loads safetensors bytes into `module`. Every tensor must be present with its exact shape and
 * no extra tensor may remain: a mismatch names the tensor and both shapes.
 */
export function deserializeModule(module: Module, bytes: Uint8Array): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const state = module.stateDict();
  const missing = [...state.keys()].filter((k) => !tensors.has(k));
  const unexpected = [...tensors.keys()].filter((k) => !state.has(k));
  if (missing.length || unexpected.length) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `checkpoint does not fit ${module.typeName}: missing ${JSON.stringify(missing.slice(0, 10))}, unexpected ${JSON.stringify(unexpected.slice(0, 10))}.`,
    );
  }
  for (const [name, v] of state) {
    const t = tensors.get(name)!;
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `tensor '${name}' has shape [${t.shape}] in the checkpoint but [${v.shape}] in the model.`,
      );
    }
  }
  for (const [name, v] of state) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
  return metadata;
}
