// The ONNX lowering of the encoders and decoders (DESIGN 4.1-4.3 as graph ops), used by their
// `toOnnx` methods: the exact op order makes exported graphs take the same spike decisions.
import type { OnnxLowering, OnnxValue } from '@hybridspike/core';
import type { RescaleMode } from './rescale.js';

/** DESIGN.md 4.1 step 1 as graph ops: unchanged inside [0, 1], else min-max (constant -> ones). */
export function rescaleOnnx(ctx: OnnxLowering, x: OnnxValue, mode: RescaleMode): OnnxValue {
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

function stackTime(ctx: OnnxLowering, steps: string[], shape: OnnxValue['shape']): OnnxValue {
  const un = steps.map((s) => ctx.g.op('Unsqueeze', [s, ctx.g.intConst([0])], {}, 'step'));
  return { name: ctx.g.op('Concat', un, { axis: 0 }, 'spikes'), shape: [steps.length, ...shape] };
}

export function bitPlanesOnnx(
  ctx: OnnxLowering,
  x01: OnnxValue,
  bits: number,
  order: 'msb' | 'lsb',
): OnnxValue {
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
  // Plane k = floor(n / 2^k) - 2 floor(n / 2^(k+1)): every step exact on integers below 2^24, and
  // no Mod (onnxruntime's float fmod took 45% of a has8Vgg inference).
  const shifted = Array.from({ length: bits }, (_, k) =>
    k === 0 ? n : g.op('Floor', [g.op('Mul', [n, g.floatConst(2 ** -k)])], {}, `level_shr${k}`),
  );
  const plane = (k: number) =>
    k === bits - 1
      ? shifted[k]!
      : g.op('Sub', [shifted[k]!, g.op('Add', [shifted[k + 1]!, shifted[k + 1]!])], {}, `plane${k}`);
  const steps = Array.from({ length: bits }, (_, t) => plane(order === 'msb' ? bits - 1 - t : t));
  return stackTime(ctx, steps, x01.shape);
}

export function latencyOnnx(ctx: OnnxLowering, x01: OnnxValue, T: number, spikeOnZero: boolean): OnnxValue {
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
