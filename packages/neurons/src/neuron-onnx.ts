import type { Module, OnnxGraph, OnnxLowering, OnnxValue } from '@hybridspike/core';
import { chargeCoefficients, type NeuronDynamics } from './dynamics.js';

/**
 * ONNX: the neuron unrolled over T, per step `h = (v*a + x*b) + c`, `s = Cast(h >= v_th)`,
 * then the reset (see resetOnnx): the fused loop's op order, so both round alike and take the
 * same spike decisions. `[T, N, ...]` in and out.
 */
export function neuronToOnnx(ctx: OnnxLowering, neuron: Module, d: NeuronDynamics, x: OnnxValue): OnnxValue {
  const g = ctx.g;
  const path = ctx.pathOf(neuron);
  const T = x.shape[0] as number;
  const { a, b, c } = chargeCoefficients(d);
  const { vThreshold: th, vReset } = d;
  const xs = g.opMulti('Split', [x.name], T, { axis: 0 }, `${path}/x`);
  let v: string = g.floatConst(vReset ?? 0);
  const th0 = g.floatConst(th);
  const steps: string[] = [];
  for (let t = 0; t < T; t++) {
    const terms = [g.op('Mul', [v, g.floatConst(a)]), g.op('Mul', [xs[t]!, g.floatConst(b)])];
    // `+ c` only where c != 0 (adding 0 changes nothing but the sign of a zero).
    const h =
      c === 0
        ? g.op('Add', terms, {}, `${path}/h${t}`)
        : g.op('Add', [g.op('Add', terms), g.floatConst(c)], {}, `${path}/h${t}`);
    const fire = g.op('GreaterOrEqual', [h, th0], {}, `${path}/fire${t}`);
    const s = g.op('Cast', [fire], { to: 1 }, `${path}/s${t}`);
    steps.push(s);
    if (t < T - 1) v = resetOnnx(g, h, fire, s, th0, vReset, `${path}/v${t}`);
  }
  const out = { name: g.op('Concat', steps, { axis: 0 }, `${path}/spikes`), shape: x.shape };
  ctx.spikes(neuron, out);
  return out;
}

/**
 * The membrane after a step in ONNX ops: hard reset to 0 as `h - h*s` (exact: +0 where it fired,
 * h elsewhere; onnxruntime runs Where with a scalar ~5x slower than Mul, and Where was 13% of an
 * exported has8Vgg's inference; only an infinite h differs, NaN instead of 0), to another v_reset
 * by `Where`, soft reset `h - s*v_th`.
 */
function resetOnnx(
  g: OnnxGraph,
  h: string,
  fire: string,
  s: string,
  th0: string,
  vReset: number | null,
  name: string,
): string {
  if (vReset === null) return g.op('Sub', [h, g.op('Mul', [s, th0])], {}, name);
  if (vReset === 0) return g.op('Sub', [h, g.op('Mul', [h, s])], {}, name);
  return g.op('Where', [fire, g.floatConst(vReset), h], {}, name);
}
