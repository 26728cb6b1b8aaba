import {
  BitPlaneDecoder,
  BitPlaneEncoder,
  bitPlaneWeights,
  LatencyEncoder,
  RateDecoder,
  TemporalBitEncoder,
  type SpikeDecoder,
  type SpikeEncoder,
} from '@hybridspike/encoders';
import { chargeCoefficientsOf, type SpikingNeuron } from './neuron-coefficients.js';
import { isOnnxExportable, type Module } from '@hybridspike/core';
import { notExportable, pathOf, type EmitContext, type Value } from './emit-context.js';

type Rescale = 'tensor' | 'sample' | 'none';

/** DESIGN.md 4.1 step 1 as graph ops: unchanged inside [0, 1], else min-max (constant -> ones). */
function rescale(ctx: EmitContext, x: Value, mode: Rescale): Value {
  const g = ctx.g;
  if (mode === 'none') return x;
  const rank = x.shape.length;
  const allAxes = Array.from({ length: rank }, (_, i) => i);
  const gmin = g.op('ReduceMin', [x.name], { axes: allAxes, keepdims: 0 }, 'min');
  const gmax = g.op('ReduceMax', [x.name], { axes: allAxes, keepdims: 0 }, 'max');
  const inRange = g.op(
    'And',
    [g.op('GreaterOrEqual', [gmin, g.floatConst(0)]), g.op('LessOrEqual', [gmax, g.floatConst(1)])],
    {},
    'in01',
  );
  const axes = mode === 'tensor' ? allAxes : allAxes.slice(1);
  const mn = mode === 'tensor' ? gmin : g.op('ReduceMin', [x.name], { axes, keepdims: 1 }, 'smin');
  const mx = mode === 'tensor' ? gmax : g.op('ReduceMax', [x.name], { axes, keepdims: 1 }, 'smax');
  const range = g.op('Sub', [mx, mn], {}, 'range');
  const scaled = g.op('Div', [g.op('Sub', [x.name, mn]), range], {}, 'scaled');
  const flat = g.op('Equal', [range, g.floatConst(0)], {}, 'flat');
  const ones = g.op('Add', [g.op('Mul', [x.name, g.floatConst(0)]), g.floatConst(1)], {}, 'ones');
  const mm = g.op('Where', [flat, ones, scaled], {}, 'minmax');
  return { name: g.op('Where', [inRange, x.name, mm], {}, 'x01'), shape: x.shape };
}

function stackTime(ctx: EmitContext, steps: string[], shape: Value['shape']): Value {
  const un = steps.map((s) => ctx.g.op('Unsqueeze', [s, ctx.g.intConst([0])], {}, 'step'));
  return { name: ctx.g.op('Concat', un, { axis: 0 }, 'spikes'), shape: [steps.length, ...shape] };
}

function bitPlanes(ctx: EmitContext, x01: Value, bits: number, order: 'msb' | 'lsb'): Value {
  const g = ctx.g;
  const L = 2 ** bits - 1;
  const n = g.op(
    'Clip',
    [
      g.op('Floor', [g.op('Mul', [x01.name, g.floatConst(L)], {}, 'q')], {}, 'level'),
      g.floatConst(0),
      g.floatConst(L),
    ],
    {},
    'level_clip',
  );
  const steps: string[] = [];
  for (let t = 0; t < bits; t++) {
    const k = order === 'msb' ? bits - 1 - t : t;
    const shifted = k === 0 ? n : g.op('Floor', [g.op('Div', [n, g.floatConst(2 ** k)])]);
    steps.push(g.op('Mod', [shifted, g.floatConst(2)], { fmod: 1 }, `plane${k}`));
  }
  return stackTime(ctx, steps, x01.shape);
}

function latency(ctx: EmitContext, x01: Value, T: number, spikeOnZero: boolean): Value {
  const g = ctx.g;
  // round half up, as Math.round: floor(v + 0.5)
  const tf = g.op(
    'Floor',
    [
      g.op('Add', [
        g.op('Mul', [g.op('Sub', [g.floatConst(1), x01.name]), g.floatConst(T - 1)]),
        g.floatConst(0.5),
      ]),
    ],
    {},
    'fire_time',
  );
  const mask = spikeOnZero
    ? null
    : g.op('Cast', [g.op('Greater', [x01.name, g.floatConst(0)])], { to: 1 }, 'nonzero');
  const steps: string[] = [];
  for (let t = 0; t < T; t++) {
    const s = g.op('Cast', [g.op('Equal', [tf, g.floatConst(t)])], { to: 1 }, `fire${t}`);
    steps.push(mask ? g.op('Mul', [s, mask]) : s);
  }
  return stackTime(ctx, steps, x01.shape);
}

/** Encoder `[N, ...] -> [T, N, ...]` as graph ops; rate coding (random) is not exportable. */
export function emitEncoder(ctx: EmitContext, enc: SpikeEncoder, owner: Module, x: Value): Value {
  // A plugin's encoder lowers itself (OnnxExportable), like any block.
  if (isOnnxExportable(enc)) return enc.toOnnx(ctx.lower, x);
  if (enc instanceof BitPlaneEncoder)
    return bitPlanes(ctx, rescale(ctx, x, enc.options.rescale), enc.options.bits, enc.options.order);
  if (enc instanceof LatencyEncoder)
    return latency(ctx, rescale(ctx, x, enc.options.rescale), enc.options.steps, enc.options.spikeOnZero);
  if (enc instanceof TemporalBitEncoder) {
    const x01 = rescale(ctx, x, enc.options.rescale);
    const a = bitPlanes(ctx, x01, enc.options.bits, enc.options.order);
    const b = latency(ctx, x01, enc.options.latencySteps, false);
    return {
      name: ctx.g.op('Concat', [a.name, b.name], { axis: 0 }, 'temporal_bit'),
      shape: [enc.steps, ...x.shape],
    };
  }
  return notExportable(
    ctx,
    owner,
    `its '${enc.kind}' encoder draws random numbers or is unknown to the exporter; use a bitplane, latency or temporal-bit encoder`,
  );
}

/** Decoder `[T, N, ...] -> [N, ...]`: a weighted ReduceSum over time. */
export function emitDecoder(ctx: EmitContext, dec: SpikeDecoder, owner: Module, s: Value): Value {
  if (isOnnxExportable(dec)) return dec.toOnnx(ctx.lower, s);
  const g = ctx.g;
  const T = s.shape[0] as number;
  const wShape = [T, ...s.shape.slice(1).map(() => 1)];
  if (dec instanceof BitPlaneDecoder) {
    const w = g.floatConst(bitPlaneWeights(dec.options.bits, dec.options.order), wShape);
    const sum = g.op('ReduceSum', [g.op('Mul', [s.name, w]), g.intConst([0])], { keepdims: 0 }, 'levels');
    return {
      name: g.op('Div', [sum, g.floatConst(2 ** dec.options.bits - 1)], {}, 'decoded'),
      shape: s.shape.slice(1),
    };
  }
  if (dec instanceof RateDecoder) {
    const sum = g.op('ReduceSum', [s.name, g.intConst([0])], { keepdims: 0 }, 'count');
    return { name: g.op('Div', [sum, g.floatConst(T)], {}, 'rate'), shape: s.shape.slice(1) };
  }
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
