import { HybridSpikeError } from './errors.js';

/** One float32 tensor of a safetensors file. */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/**
 * Encodes float32 tensors in the safetensors format (8-byte little-endian header length,
 * JSON header, raw little-endian data) so that PyTorch, JAX and others read our checkpoints.
 */
export function encodeSafetensors(
  tensors: Map<string, NamedArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    for (let i = 0; i < d.length; i++) view.setFloat32(pos + i * 4, d[i]!, true);
    pos += d.length * 4;
  }
  return out;
}

/** Decodes a safetensors file written by any tool; only F32 tensors are accepted. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8)
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      'not a safetensors file: shorter than its 8-byte header length.',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length)
    throw new HybridSpikeError(
      'CHECKPOINT_MISMATCH',
      `safetensors header says ${n} bytes but the file has ${bytes.length - 8}.`,
    );
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new HybridSpikeError('CHECKPOINT_MISMATCH', 'safetensors header is not valid JSON.', { cause: e });
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedArray>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as unknown as Record<string, string>;
      continue;
    }
    if (entry.dtype !== 'F32')
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `tensor '${name}' has dtype ${entry.dtype}; only F32 is supported.`,
      );
    const [b, e] = entry.data_offsets;
    const count = entry.shape.reduce((a, c) => a * c, 1);
    if (e - b !== count * 4 || base + e > bytes.length) {
      throw new HybridSpikeError(
        'CHECKPOINT_MISMATCH',
        `tensor '${name}' data [${b}, ${e}) does not fit its shape [${entry.shape}] or the file.`,
      );
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + b + i * 4, true);
    tensors.set(name, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}
