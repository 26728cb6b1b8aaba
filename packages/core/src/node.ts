import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { HybridSpikeError } from './errors.js';
import type { Module } from './module.js';
import { deserializeModule, serializeModule } from './state.js';

let renames = 0;

/**
 * `renameSync`, plus the fault-injection hook of the crash tests: with
 * `HYBRIDSPIKE_FAULT_KILL_AFTER_RENAMES=N` set, the process kills itself (SIGKILL, no clean-up)
 * right after its N-th rename, so a test can stop a save at every point a real crash could.
 */
export function renameDurably(from: string, to: string): void {
  renameSync(from, to);
  const n = Number(process.env.HYBRIDSPIKE_FAULT_KILL_AFTER_RENAMES);
  if (n > 0 && ++renames === n) process.kill(process.pid, 'SIGKILL');
}

/** Writes `data` to `path` and flushes it to the disk (fsync) before returning. */
export function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (a rename into it) to the disk; a no-op where folders cannot be opened. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    /* some platforms refuse fsync on folders */
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` atomically: a temporary file (flushed to disk), then a rename. On failure
 * the temporary file is removed and the error names `path`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSynced(tmp, data);
    renameDurably(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    (e as NodeJS.ErrnoException).path ??= path;
    throw e;
  }
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
