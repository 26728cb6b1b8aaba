/** A float32 array with its shape, as NIR stores weights and neuron parameters. */
export interface NirArray {
  data: Float32Array;
  shape: number[];
}

/** A parameter of a NIR node: an array, an integer vector or scalar, or a string. */
export type NirParam = NirArray | number[] | number | string;

/** One NIR primitive: its `type` (`Conv2d`, `LIF`, ...) and its parameters by NIR's names. */
export interface NirNode {
  type: string;
  params: Record<string, NirParam>;
}

/**
 * A NIR graph (`type: NIRGraph`): named nodes (primitives or nested graphs), edges between them
 * (a node with several incoming edges sums them), and string metadata.
 */
export interface NirGraph {
  type: 'NIRGraph';
  nodes: Record<string, NirNode | NirGraph>;
  edges: [string, string][];
  metadata: Record<string, string>;
}

/** The NIR file format version this package writes. */
export const NIR_VERSION = '1.0.6';

export function isGraph(n: NirNode | NirGraph): n is NirGraph {
  return n.type === 'NIRGraph';
}

export function isArray(p: NirParam | undefined): p is NirArray {
  return (
    typeof p === 'object' && p !== null && !Array.isArray(p) && (p as NirArray).data instanceof Float32Array
  );
}

/** `data` shaped as `shape` (checked). */
export function nirArray(data: Float32Array, shape: number[]): NirArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length)
    throw new Error(`NIR array of shape [${shape}] needs ${n} values, got ${data.length}`);
  return { data, shape };
}

/** A constant array of `shape` filled with `v` (NIR's per-neuron parameters). */
export function filled(shape: number[], v: number): NirArray {
  return nirArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v), shape);
}

/** The nodes that feed `name` (summed when several). */
export function predecessors(g: NirGraph, name: string): string[] {
  return g.edges.filter(([, b]) => b === name).map(([a]) => a);
}

/**
 * The nodes in an order where every node comes after those that feed it; a cycle (recurrence)
 * is an error naming its nodes: this runtime runs feed-forward graphs.
 */
export function topologicalOrder(g: NirGraph): string[] {
  const indeg = new Map(Object.keys(g.nodes).map((k) => [k, 0]));
  for (const [a, b] of g.edges) {
    if (!indeg.has(a) || !indeg.has(b))
      throw new Error(`edge ${a} -> ${b} names a node the graph does not have`);
    indeg.set(b, indeg.get(b)! + 1);
  }
  const ready = [...indeg].filter(([, d]) => d === 0).map(([k]) => k);
  const order: string[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const [a, b] of g.edges)
      if (a === n) {
        indeg.set(b, indeg.get(b)! - 1);
        if (indeg.get(b) === 0) ready.push(b);
      }
  }
  if (order.length !== indeg.size) {
    const cyclic = [...indeg].filter(([k]) => !order.includes(k)).map(([k]) => k);
    throw new Error(
      `the graph has a cycle through ${cyclic.join(', ')} (recurrent NIR graphs are not supported)`,
    );
  }
  return order;
}
