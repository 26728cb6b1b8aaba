import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { atan, fastSigmoid, sigmoid, surrogateGradTensor, triangle } from './surrogates.js';

// DESIGN.md 4.4 at hand-picked points, values worked out by hand (x = h - v_threshold).
describe('surrogate derivatives equal the DESIGN.md 4.4 formulas', () => {
  beforeAll(() => useBackend('cpu'));
  const cases: { name: string; s: ReturnType<typeof atan>; points: [number, number][] }[] = [
    // atan(alpha=2): alpha/2 / (1 + (pi/2 * alpha * x)^2) = 1 / (1 + (pi x)^2)
    {
      name: 'atan(2)',
      s: atan(2),
      points: [
        [0, 1],
        [1, 1 / (1 + Math.PI ** 2)],
        [-0.5, 1 / (1 + Math.PI ** 2 / 4)],
      ],
    },
    // atan(alpha=4) at x = 0.25: 2 / (1 + (pi/2)^2)
    { name: 'atan(4)', s: atan(4), points: [[0.25, 2 / (1 + (Math.PI / 2) ** 2)]] },
    // sigmoid(alpha=4): alpha s (1 - s), s = sigmoid(4x); at 0: 4 * 1/4 = 1; at ln(3)/4: s = 3/4 -> 4 * 3/16 = 0.75
    {
      name: 'sigmoid(4)',
      s: sigmoid(4),
      points: [
        [0, 1],
        [Math.log(3) / 4, 0.75],
        [-Math.log(3) / 4, 0.75],
      ],
    },
    // fastSigmoid(slope=25): 1 / (25|x| + 1)^2; at 0.04: 1/4; at -0.12: 1/16
    {
      name: 'fastSigmoid(25)',
      s: fastSigmoid(25),
      points: [
        [0, 1],
        [0.04, 0.25],
        [-0.12, 1 / 16],
      ],
    },
    // triangle(width=1): max(0, 1 - |x|/w) / w; width 2 at x = 1: 0.25; outside: 0
    {
      name: 'triangle(1)',
      s: triangle(1),
      points: [
        [0, 1],
        [0.5, 0.5],
        [-0.25, 0.75],
        [1.5, 0],
      ],
    },
    {
      name: 'triangle(2)',
      s: triangle(2),
      points: [
        [1, 0.25],
        [-3, 0],
      ],
    },
  ];
  for (const { name, s, points } of cases) {
    it(`${name}: scalar and tensor forms`, () => {
      for (const [x, want] of points) expect(s.grad(x)).toBeCloseTo(want, 12);
      const t = surrogateGradTensor(s, tf.tensor(points.map((p) => p[0])));
      const got = Array.from(t.dataSync());
      points.forEach(([, want], i) => expect(got[i]).toBeCloseTo(want, 6));
    });
  }
});
