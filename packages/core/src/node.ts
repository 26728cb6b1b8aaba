import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HybridSpikeError } from './errors.js';
import type { Module } from './module.js';
import { deserializeModule, serializeModule } from './state.js';

/** Writes `data` to `path` atomically: a temporary file, then a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Saves parameters and buffers as a safetensors file, atomically. */
export function saveCheckpoint(module: Module, path: string, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeModule(module, metadata));
}

/** Loads a safetensors checkpoint into `module`; returns the file's metadata. */
export function loadCheckpoint(module: Module, path: string): Record<string, string> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `cannot read checkpoint '${path}': ${(e as Error).message}`,
      { cause: e },
    );
  }
  try {
    return deserializeModule(module, bytes);
  } catch (e) {
    throw new HybridSpikeError('CHECKPOINT_MISMATCH', `checkpoint '${path}': ${(e as Error).message}`, {
      cause: e,
    });
  }
}
