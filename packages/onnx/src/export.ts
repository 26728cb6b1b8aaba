import { HybridSpikeError, type Module } from '@hybridspike/core';
import type { EmitContext } from './emit-context.js';
import { emit, lowering } from './emit-modules.js';
import { GraphBuilder, valueInfo } from './graph-builder.js';
import { encodeModel } from './proto.js';
import { SPIKE_OUTPUTS_KEY } from './export-keys.js';

/** Package version written into the model's metadata. */
export const EXPORTER_VERSION = '0.1.0';

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** Input `[C, H, W]` (NCHW at the ONNX boundary); the batch dimension is dynamic. */
  inputShape: [number, number, number];
  /** ONNX opset, >= 17 (default 17). */
  opset?: number;
  /** Extra graph outputs with every neuron layer's spikes, named by module path (for parity checks). */
  debugSpikes?: boolean;
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
}

/** What {@link exportOnnxDetailed} returns: the model's bytes and where its debug spike outputs are. */
export interface ExportResult {
  bytes: Uint8Array;
  /** Neuron layers exposed as outputs when `debugSpikes` is on: module path -> output name. */
  spikeOutputs: { path: string; name: string }[];
}

/**
 * Exports a whole hybrid model, time loop included, as an ONNX ModelProto (IR 8): input `input`
 * NCHW float32 `[batch, C, H, W]`, output `logits`. Encoders become Floor/Mul/Sub/Concat (or
 * Equal/Cast for latency), neurons unrolled Add/Mul/GreaterOrEqual/Cast/Where, BatchNorm uses its
 * running statistics, decoders Mul/ReduceSum. Initialisers are named by parameter path.
 * Anything not exportable fails naming the module path and why.
 */
export function exportOnnxDetailed(model: Module, options: ExportOptions): ExportResult {
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17)
    throw new HybridSpikeError('BAD_OPTIONS', `opset must be an integer >= 17, got ${opset}.`);
  const [C, H, W] = options.inputShape;
  if (![C, H, W].every((d) => Number.isInteger(d) && d > 0))
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `inputShape must be [C, H, W] of positive integers, got [${options.inputShape}].`,
    );
  const g = new GraphBuilder();
  const paths = new Map<Module, string>();
  for (const [p, m] of model.namedModules()) paths.set(m, p);
  const ctx = {
    g,
    paths,
    debugSpikes: options.debugSpikes ?? false,
    spikeOutputs: [],
  } as unknown as EmitContext;
  (ctx as { lower: EmitContext['lower'] }).lower = lowering(ctx);
  g.fresh('input');
  const out = emit(ctx, model, { name: 'input', shape: ['N', C, H, W] });
  const logits = g.op('Identity', [out.name], {}, 'logits');
  const metadata: Record<string, string> = {
    'hybridspike.version': EXPORTER_VERSION,
    'hybridspike.layout': 'NCHW',
    'hybridspike.input_shape': JSON.stringify([C, H, W]),
    // The model describes itself (its options, time steps): Module.exportMetadata().
    ...model.exportMetadata(),
    // Which debug output is which layer (module path), for viewers such as the web page.
    ...(ctx.debugSpikes ? { [SPIKE_OUTPUTS_KEY]: JSON.stringify(ctx.spikeOutputs) } : {}),
    ...options.metadata,
  };
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'hybridspike',
    producerVersion: EXPORTER_VERSION,
    graph: {
      name: model.typeName,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('input', ['batch', C, H, W])],
      output: [
        valueInfo(logits, ['batch', ...out.shape.slice(1).map((d) => (d === 'N' ? 'batch' : d))]),
        ...g.extraOutputs.map((o) => valueInfo(o.name, o.shape)),
      ],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return { bytes, spikeOutputs: ctx.spikeOutputs };
}

/** {@link exportOnnxDetailed}, returning just the bytes. */
export function exportOnnx(model: Module, options: ExportOptions): Uint8Array {
  return exportOnnxDetailed(model, options).bytes;
}
