import type { SpikeDecoder, SpikeEncoder } from '@hybridspike/encoders';
import { isOnnxExportable, type Module } from '@hybridspike/core';
import { notExportable, type EmitContext, type Value } from './emit-context.js';

/**
 * Encoder `[N, ...] -> [T, N, ...]` / decoder `[T, N, ...] -> [N, ...]`: each lowers itself
 * (`toOnnx`, beside its definition, built-in or a plugin's). Rate coding has none: its random
 * draws cannot be reproduced by a runtime.
 */
export function emitEncoder(ctx: EmitContext, enc: SpikeEncoder, owner: Module, x: Value): Value {
  if (isOnnxExportable(enc)) return enc.toOnnx(ctx.lower, x);
  return notExportable(
    ctx,
    owner,
    `its '${enc.kind}' encoder draws random numbers or is unknown to the exporter; use a bitplane, latency or temporal-bit encoder`,
  );
}

export function emitDecoder(ctx: EmitContext, dec: SpikeDecoder, owner: Module, s: Value): Value {
  if (isOnnxExportable(dec)) return dec.toOnnx(ctx.lower, s);
  return notExportable(ctx, owner, `decoder '${dec.kind}' is unknown to the exporter`);
}
