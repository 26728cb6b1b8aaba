import { AttrType, DataType } from './proto.js';

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

interface Node {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: Record<string, unknown>[];
}

/** Collects nodes and initialisers of one ONNX graph, with unique value names. */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Record<string, unknown>[] = [];
  readonly extraOutputs: { name: string; shape: (number | string)[] }[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  private readonly constants = new Map<string, string>();

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let name = hint.replace(/[^A-Za-z0-9_./:-]/g, '_');
    if (this.used.has(name)) name = `${name}__${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node; returns its (first) output name. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    hint?: string,
    outputs = 1,
  ): string {
    const outs = Array.from({ length: outputs }, (_, i) =>
      this.fresh(`${hint ?? opType}${outputs > 1 ? `_${i}` : ''}`),
    );
    this.nodes.push({
      opType,
      input: inputs,
      output: outs,
      name: this.fresh(`node/${hint ?? opType}`),
      attribute: Object.entries(attrs).map(([name, v]) => encodeAttr(name, v)),
    });
    return outs[0]!;
  }

  /** Adds a node with several outputs; returns all output names. */
  opMulti(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs: Record<string, AttrValue> = {},
    hint?: string,
  ): string[] {
    this.op(opType, inputs, attrs, hint, outputs);
    return this.nodes[this.nodes.length - 1]!.output;
  }

  /** A float32 initialiser under an exact name (module parameter paths). */
  floatInit(name: string, dims: number[], data: Float32Array): string {
    if (this.used.has(name)) throw new Error(`internal: initializer '${name}' defined twice`);
    this.used.add(name);
    return this.pushFloat(name, dims, data);
  }

  private pushFloat(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({
      name,
      dims,
      dataType: DataType.FLOAT,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return name;
  }

  /** A cached float32 constant (scalar or small vector). */
  floatConst(
    values: number[] | number,
    dims: number[] = Array.isArray(values) ? [values.length] : [],
  ): string {
    const key = `f:${JSON.stringify(values)}:${dims}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.pushFloat(
      this.fresh('const_f'),
      dims,
      Float32Array.from(Array.isArray(values) ? values : [values]),
    );
    this.constants.set(key, name);
    return name;
  }

  /** A cached int64 vector constant (shapes, axes). */
  intConst(values: number[]): string {
    const key = `i:${values.join(',')}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.fresh('const_i');
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: DataType.INT64,
      rawData: new Uint8Array(raw.buffer),
    });
    this.constants.set(key, name);
    return name;
  }

  /** Marks `name` as an additional graph output (debug outputs such as spikes). */
  addOutput(name: string, shape: (number | string)[]): void {
    this.extraOutputs.push({ name, shape });
  }
}

function encodeAttr(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

/** An ONNX ValueInfo for a float tensor; strings are symbolic dims (`batch`). */
export function valueInfo(
  name: string,
  shape: (number | string)[],
  elemType: number = DataType.FLOAT,
): Record<string, unknown> {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
