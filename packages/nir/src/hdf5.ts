import { HybridSpikeError } from '@hybridspike/core';
import { isArray, isGraph, NIR_VERSION, type NirGraph, type NirNode, type NirParam } from './graph.js';

type H5 = typeof import('h5wasm').default;
type H5Group = InstanceType<H5['Group']>;
type H5Dataset = InstanceType<H5['Dataset']>;

let h5: Promise<{
  lib: H5;
  FS: { writeFile(p: string, d: Uint8Array): void; readFile(p: string): Uint8Array; unlink(p: string): void };
}> | null = null;

/** h5wasm (the HDF5 C library compiled to WebAssembly), loaded once. */
function hdf5() {
  h5 ??= (async () => {
    const lib = (await import('h5wasm')).default;
    const mod = (await lib.ready) as unknown as { FS: never };
    return { lib, FS: mod.FS };
  })();
  return h5;
}

let files = 0;
const scratch = () => `/hybridspike-${typeof process !== 'undefined' ? process.pid : 0}-${++files}.nir`;

/** Integers as NIR's Python writer stores them: int64. */
function int64(values: number[]): BigInt64Array {
  return BigInt64Array.from(values.map((v) => BigInt(Math.round(v))));
}

function writeParam(g: H5Group, key: string, v: NirParam): void {
  if (typeof v === 'string') g.create_dataset({ name: key, data: v });
  else if (typeof v === 'number') g.create_dataset({ name: key, data: int64([v]), shape: [], dtype: '<q' });
  else if (Array.isArray(v)) g.create_dataset({ name: key, data: int64(v), shape: [v.length], dtype: '<q' });
  else g.create_dataset({ name: key, data: v.data, shape: v.shape, dtype: '<f' });
}

function writeNode(g: H5Group, node: NirNode | NirGraph): void {
  g.create_dataset({ name: 'type', data: node.type });
  if (isGraph(node)) {
    const nodes = g.create_group('nodes');
    for (const [name, child] of Object.entries(node.nodes)) writeNode(nodes.create_group(name), child);
    const flat = node.edges.flat();
    g.create_dataset({ name: 'edges', data: flat.length ? flat : [''], shape: [node.edges.length, 2] });
    if (Object.keys(node.metadata).length) {
      const meta = g.create_group('metadata');
      for (const [k, v] of Object.entries(node.metadata)) meta.create_dataset({ name: k, data: v });
    }
    return;
  }
  for (const [key, v] of Object.entries(node.params)) {
    // NIR's writer stores a dict parameter (input_type, output_type) as a group.
    if (key === 'input_type' || key === 'output_type') {
      writeParam(g.create_group(key), key === 'input_type' ? 'input' : 'output', v);
    } else writeParam(g, key, v);
  }
}

/**
 * The bytes of a `.nir` file: HDF5 with a `version` string and the graph under `node`, in the
 * layout of NIR's reference writer (`nir/serialization.py`): each node a group with its `type`
 * and parameters as datasets (float32 arrays, int64 integers, UTF-8 strings), a graph's `nodes`
 * group, its `edges` as an `[n, 2]` string dataset and its `metadata` group.
 */
export async function writeNirBytes(graph: NirGraph): Promise<Uint8Array> {
  const { lib, FS } = await hdf5();
  const path = scratch();
  const f = new lib.File(path, 'w');
  try {
    f.create_dataset({ name: 'version', data: NIR_VERSION });
    writeNode(f.create_group('node'), graph);
  } finally {
    f.close();
  }
  const bytes = FS.readFile(path);
  FS.unlink(path);
  return bytes;
}

function readValue(d: H5Dataset): NirParam {
  const v = d.value as unknown;
  const shape = (d.shape ?? []) as number[];
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array && d.dtype.toString().startsWith('S')) return new TextDecoder().decode(v);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isInteger(v) && !String(d.dtype).includes('f') ? v : v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const a = Array.from(v as ArrayLike<bigint>, Number);
    return shape.length === 0 ? a[0]! : a;
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return (v as string[]).join('\u0000');
    return (v as number[]).map(Number);
  }
  if (ArrayBuffer.isView(v)) {
    const arr = v as unknown as ArrayLike<number>;
    const isFloat = v instanceof Float32Array || v instanceof Float64Array;
    if (!isFloat) {
      const a = Array.from(arr, Number);
      return shape.length === 0 ? a[0]! : a;
    }
    return { data: Float32Array.from(arr), shape: shape.length ? shape : [arr.length] };
  }
  throw new Error(`dataset ${d.path} holds a value of an unexpected kind`);
}

function readNode(g: H5Group, path: string): NirNode | NirGraph {
  const keys = new Set(g.keys());
  // (looked up by name first: h5wasm prints HDF5 diagnostics for a missing path)
  const child = (k: string) => (keys.has(k) ? g.get(k) : null);
  const typeDs = child('type') as H5Dataset | null;
  if (!typeDs) throw new Error(`${path} has no 'type'`);
  const type = String(readValue(typeDs));
  if (type === 'NIRGraph') {
    const nodesGroup = child('nodes') as H5Group | null;
    if (!nodesGroup) throw new Error(`${path} (NIRGraph) has no 'nodes' group`);
    const nodes: NirGraph['nodes'] = {};
    for (const name of nodesGroup.keys())
      nodes[name] = readNode(nodesGroup.get(name) as H5Group, `${path}/nodes/${name}`);
    const e = child('edges') as H5Dataset | null;
    const raw = e ? (e.value as unknown) : [];
    const flat = (Array.isArray(raw) ? raw : [raw]).map((x) =>
      x instanceof Uint8Array ? new TextDecoder().decode(x) : String(x),
    );
    const edges: [string, string][] = [];
    const n = e?.shape?.[0] ?? 0;
    for (let i = 0; i < n; i++) edges.push([flat[2 * i]!, flat[2 * i + 1]!]);
    const metadata: Record<string, string> = {};
    const meta = child('metadata') as H5Group | null;
    if (meta && typeof meta.keys === 'function')
      for (const k of meta.keys()) {
        const v = meta.get(k);
        if (v && 'value' in v) metadata[k] = String(readValue(v as H5Dataset));
      }
    return { type: 'NIRGraph', nodes, edges, metadata };
  }
  const params: Record<string, NirParam> = {};
  for (const key of g.keys()) {
    if (key === 'type' || key === 'metadata') continue;
    const item = g.get(key);
    if (!item) continue;
    if ('keys' in item && typeof (item as H5Group).keys === 'function' && !('value' in item)) {
      // input_type / output_type groups: their single dataset.
      const inner = (item as H5Group).keys()[0];
      if (inner) params[key] = readValue((item as H5Group).get(inner) as H5Dataset);
    } else params[key] = readValue(item as H5Dataset);
  }
  return { type, params };
}

/**
 * Reads a `.nir` file: its version and graph. Not HDF5, or no `node` graph, is an error that
 * says what the file lacks.
 */
export async function readNirBytes(bytes: Uint8Array): Promise<{ version: string; graph: NirGraph }> {
  const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || !HDF5_MAGIC.every((b, i) => bytes[i] === b))
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      'not a NIR file: NIR files are HDF5, and this one lacks the HDF5 signature.',
    );
  const { lib, FS } = await hdf5();
  const path = scratch();
  FS.writeFile(path, bytes);
  let f: InstanceType<H5['File']> | null = null;
  try {
    f = new lib.File(path, 'r');
    const top = new Set(f.keys());
    if (!top.has('node')) throw new Error("no 'node' group (the graph)");
    const root = f.get('node') as H5Group;
    const version = top.has('version') ? String(readValue(f.get('version') as H5Dataset)) : 'unknown';
    const graph = readNode(root, 'node');
    if (!isGraph(graph)) throw new Error(`the top-level node is a ${graph.type}, not a NIRGraph`);
    return { version, graph };
  } catch (e) {
    if (e instanceof HybridSpikeError) throw e;
    throw new HybridSpikeError('BAD_OPTIONS', `cannot read the NIR file: ${(e as Error).message}.`, {
      cause: e,
    });
  } finally {
    f?.close();
    FS.unlink(path);
  }
}

export { isArray };
