import { isOnnxExportable, type Module, type OnnxLowering } from '@hybridspike/core';
import type { SpikeDecoder, SpikeEncoder } from '@hybridspike/encoders';
import { SpikingNeuron } from '@hybridspike/neurons';
import {
  foldValue,
  notExportable,
  pathOf,
  unfoldValue,
  type EmitContext,
  type Value,
} from './emit-context.js';
import { emitDecoder, emitEncoder, emitNeuron } from './emit-spiking.js';

/** The exporter as the {@link OnnxLowering} that self-lowering components receive. */
export function lowering(ctx: EmitContext): OnnxLowering {
  return {
    g: ctx.g,
    pathOf: (m) => pathOf(ctx, m),
    emit: (m, x) => emit(ctx, m, x),
    encode: (enc, owner, x) => emitEncoder(ctx, enc as SpikeEncoder, owner, x),
    decode: (dec, owner, s) => emitDecoder(ctx, dec as SpikeDecoder, owner, s),
    fold: (v) => foldValue(ctx, v),
    unfold: (v, T) => unfoldValue(ctx, v, T),
    notExportable: (m, why) => notExportable(ctx, m, why),
  };
}

/**
 * Lowers one module. Components describe their own lowering beside their forward (`toOnnx`, the
 * `OnnxExportable` interface of @hybridspike/core: every block, layer and model of
 * @hybridspike/blocks, and any plugin's); the exporter itself lowers only the spiking neurons
 * (unrolled over T, in the float32 op order of the fused loop) and the spike encoders/decoders.
 */
export function emit(ctx: EmitContext, m: Module, x: Value): Value {
  if (isOnnxExportable(m)) return m.toOnnx(ctx.lower, x);
  if (m instanceof SpikingNeuron) return emitNeuron(ctx, m, x);
  return notExportable(
    ctx,
    m,
    'no ONNX lowering for this module type; give its class a `toOnnx(ctx, x)` method (the OnnxExportable interface of @hybridspike/core) that describes its forward with ctx.g.op / ctx.emit',
  );
}
