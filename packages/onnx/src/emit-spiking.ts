import type { SpikeDecoder, SpikeEncoder } from '@hybridspike/encoders';
import { chargeCoefficientsOf, type SpikingNeuron } from './neuron-coefficients.js';
import { isOnnxExportable, type Module } from '@hybridspike/core';
import { notExportable, pathOf, type EmitContext, type Value } from './emit-context.js';

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

/**
 * A neuron layer unrolled over T: per step `h = (v*a + x*b) + c`, `s = Cast(h >= v_th)`, and
 * `v = Where(h >= v_th, v_reset, h)` (hard) or `v = h - s*v_th` (soft). Same op order as the
 * fused kernel, so both round alike.
 */
export function emitNeuron(ctx: EmitContext, n: SpikingNeuron, x: Value): Value {
  const g = ctx.g;
  const path = pathOf(ctx, n);
  const T = x.shape[0] as number;
  const { a, b, c, vThreshold: th, vReset } = chargeCoefficientsOf(n);
  const xs = g.opMulti('Split', [x.name], T, { axis: 0 }, `${path}/x`);
  let v: string = g.floatConst(vReset ?? 0);
  const th0 = g.floatConst(th);
  const steps: string[] = [];
  for (let t = 0; t < T; t++) {
    const h = g.op(
      'Add',
      [
        g.op('Add', [g.op('Mul', [v, g.floatConst(a)]), g.op('Mul', [xs[t]!, g.floatConst(b)])]),
        g.floatConst(c),
      ],
      {},
      `${path}/h${t}`,
    );
    const fire = g.op('GreaterOrEqual', [h, th0], {}, `${path}/fire${t}`);
    const s = g.op('Cast', [fire], { to: 1 }, `${path}/s${t}`);
    steps.push(s);
    if (t < T - 1)
      v =
        vReset !== null
          ? g.op('Where', [fire, g.floatConst(vReset), h], {}, `${path}/v${t}`)
          : g.op('Sub', [h, g.op('Mul', [s, th0])], {}, `${path}/v${t}`);
  }
  const out = g.op('Concat', steps, { axis: 0 }, `${path}/spikes`);
  if (ctx.debugSpikes) {
    g.addOutput(
      out,
      x.shape.map((d) => (d === 'N' ? 'batch' : d)),
    );
    ctx.spikeOutputs.push({ path, name: out });
  }
  return { name: out, shape: x.shape };
}
