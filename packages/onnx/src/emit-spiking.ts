import { isOnnxExportable, type Module } from '@hybridspike/core';
import { notExportable, type EmitContext, type Value } from './emit-context.js';

/**
 * A spike encoder `[N, ...] -> [T, N, ...]` or decoder `[T, N, ...] -> [N, ...]` owned by `owner`:
 * like every component it lowers itself (`toOnnx`, the OnnxExportable interface of core, beside
 * its definition, built-in or a plugin's); the exporter knows no encoder or decoder type. One
 * without a lowering (rate coding: its random draws cannot be reproduced by a runtime) is refused.
 */
export function emitPart(
  ctx: EmitContext,
  part: unknown,
  owner: Module,
  x: Value,
  role: 'encoder' | 'decoder',
): Value {
  if (isOnnxExportable(part)) return part.toOnnx(ctx.lower, x);
  const kind = String((part as { kind?: unknown } | null)?.kind ?? 'unknown');
  return notExportable(
    ctx,
    owner,
    role === 'encoder'
      ? `its '${kind}' encoder draws random numbers or is unknown to the exporter; use a bitplane, latency or temporal-bit encoder`
      : `decoder '${kind}' is unknown to the exporter`,
  );
}
