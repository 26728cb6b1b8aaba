import { HybridSpikeError, type Module, type OnnxLowering } from '@hybridspike/core';
import type { GraphBuilder } from './graph-builder.js';

/** A graph value: its name and full shape ('N' marks the dynamic batch dimension). */
export interface Value {
  name: string;
  shape: (number | 'N')[];
}

/** What every emitter gets: the graph, module paths, and options. */
export interface EmitContext {
  g: GraphBuilder;
  paths: Map<Module, string>;
  /** Also output every neuron layer's spikes (for parity checks). */
  debugSpikes: boolean;
  /** Neuron paths in emission order, when debugSpikes is on. */
  spikeOutputs: { path: string; name: string }[];
  /** The same, as the interface components that lower themselves (`toOnnx`) receive. */
  lower: OnnxLowering;
}

export function pathOf(ctx: EmitContext, m: Module): string {
  return ctx.paths.get(m) ?? '(unregistered module)';
}

export function notExportable(ctx: EmitContext, m: Module, why: string): never {
  throw new HybridSpikeError('NOT_EXPORTABLE', `cannot export '${pathOf(ctx, m)}' (${m.typeName}): ${why}`);
}

/** Time-major `[T, N, ...]` -> `[T*N, ...]`. */
export function foldValue(ctx: EmitContext, v: Value): Value {
  const rest = v.shape.slice(2) as number[];
  return {
    name: ctx.g.op('Reshape', [v.name, ctx.g.intConst([-1, ...rest])], {}, 'fold'),
    shape: ['N', ...rest],
  };
}

/** `[T*N, ...]` -> `[T, N, ...]`. */
export function unfoldValue(ctx: EmitContext, v: Value, T: number): Value {
  const rest = v.shape.slice(1) as number[];
  return {
    name: ctx.g.op('Reshape', [v.name, ctx.g.intConst([T, -1, ...rest])], {}, 'unfold'),
    shape: [T, 'N', ...rest],
  };
}
