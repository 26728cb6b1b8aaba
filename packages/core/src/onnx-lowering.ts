import type { Module } from './module.js';

/** A graph value during ONNX export: its name and full shape (`'N'`: the dynamic batch). */
export interface OnnxValue {
  name: string;
  shape: (number | 'N')[];
}

/** An ONNX node attribute value. */
export type OnnxAttr = number | number[] | string | { floats: number[] } | { float: number };

/** The graph a lowering adds to (implemented by `@hybridspike/onnx`). */
export interface OnnxGraph {
  /** Adds a node; returns its output name (`hint` names it). */
  op(opType: string, inputs: string[], attrs?: Record<string, OnnxAttr>, hint?: string): string;
  /** Adds a node with `outputs` outputs (e.g. Split); returns their names. */
  opMulti(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs?: Record<string, OnnxAttr>,
    hint?: string,
  ): string[];
  /** A float32 initialiser under an exact name: module parameter paths. */
  floatInit(name: string, dims: number[], data: Float32Array): string;
  /** A cached float32 constant: a scalar, or a vector laid out as `dims`. */
  floatConst(values: number | number[], dims?: number[]): string;
  /** A cached int64 vector constant (shapes, axes). */
  intConst(values: number[]): string;
}

/**
 * What the exporter hands a component that lowers itself to ONNX: the graph, module paths, and
 * the exporter's own lowering of everything else (children, spike encoders and decoders).
 * Defined here, in core, so that blocks and plugins describe their export beside their forward
 * without depending on the exporter.
 */
export interface OnnxLowering {
  readonly g: OnnxGraph;
  /** The dotted path of a module in the exported model (initialiser and node names). */
  pathOf(m: Module): string;
  /** Lowers a child module (its own `toOnnx`, or the exporter's for built-in parts). */
  emit(m: Module, x: OnnxValue): OnnxValue;
  /** The exporter's lowering of a spike encoder / decoder owned by `owner`. */
  encode(encoder: unknown, owner: Module, x: OnnxValue): OnnxValue;
  /** The exporter's lowering of a spike decoder owned by `owner` (spikes back to values). */
  decode(decoder: unknown, owner: Module, spikes: OnnxValue): OnnxValue;
  /** `[T, N, ...]` -> `[T*N, ...]` and back. */
  fold(v: OnnxValue): OnnxValue;
  /** `[T*N, ...]` -> `[T, N, ...]`, the inverse of {@link OnnxLowering.fold}. */
  unfold(v: OnnxValue, T: number): OnnxValue;
  /** Fails naming the module's path and why. */
  notExportable(m: Module, why: string): never;
  /**
   * Declares `value` as the spikes of neuron layer `m`: an extra graph output when the export
   * asked for debug spikes (parity checks compare them spike by spike), else nothing.
   */
  spikes(m: Module, value: OnnxValue): void;
}

/** A component that describes its own ONNX lowering, once, beside its forward. */
export interface OnnxExportable {
  /**
   * Adds this component's nodes to `ctx.g` for input `x` (NHWC, as its forward) and returns its
   * output value; initialiser names come from `ctx.pathOf(this)`.
   */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue;
}

/** Whether `m` lowers itself to ONNX. */
export function isOnnxExportable(m: unknown): m is OnnxExportable {
  return typeof (m as Partial<OnnxExportable> | null)?.toOnnx === 'function';
}
