import { isOnnxExportable, type Module, type OnnxLowering } from '@hybridspike/core';
import {
  foldValue,
  notExportable,
  pathOf,
  unfoldValue,
  type EmitContext,
  type Value,
} from './emit-context.js';
import { emitPart } from './emit-spiking.js';

/** The exporter as the {@link OnnxLowering} that self-lowering components receive. */
export function lowering(ctx: EmitContext): OnnxLowering {
  return {
    g: ctx.g,
    pathOf: (m) => pathOf(ctx, m),
    emit: (m, x) => emit(ctx, m, x),
    encode: (enc, owner, x) => emitPart(ctx, enc, owner, x, 'encoder'),
    decode: (dec, owner, s) => emitPart(ctx, dec, owner, s, 'decoder'),
    fold: (v) => foldValue(ctx, v),
    unfold: (v, T) => unfoldValue(ctx, v, T),
    notExportable: (m, why) => notExportable(ctx, m, why),
    spikes: (m, v) => {
      if (!ctx.debugSpikes) return;
      ctx.g.addOutput(
        v.name,
        v.shape.map((d) => (d === 'N' ? 'batch' : d)),
      );
      ctx.spikeOutputs.push({ path: pathOf(ctx, m), name: v.name });
    },
  };
}

/**
 * Lowers one module. Components describe their own lowering beside their forward (`toOnnx`, the
 * `OnnxExportable` interface of @hybridspike/core: every block, layer and model of
 * @hybridspike/blocks, the neurons, encoders and decoders, and any plugin's). The exporter only
 * walks the tree, names values, and refuses what has no lowering.
 */
export function emit(ctx: EmitContext, m: Module, x: Value): Value {
  if (isOnnxExportable(m)) return m.toOnnx(ctx.lower, x);
  return notExportable(
    ctx,
    m,
    'no ONNX lowering for this module type; give its class a `toOnnx(ctx, x)` method (the OnnxExportable interface of @hybridspike/core) that describes its forward with ctx.g.op / ctx.emit',
  );
}
