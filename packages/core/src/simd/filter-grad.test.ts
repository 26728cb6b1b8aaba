import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { maxRelDiff, useBackend, expectEmbeddedWasmFresh } from '../testing.js';
import { smallFilterGrad, smallFilterGradApplies } from './filter-grad.js';

describe('the SIMD first-layer filter gradient', () => {
  it('takes few-tap shapes with Co a multiple of 4 only', () => {
    const s = { N: 1, H: 4, W: 4, Ci: 1, Ho: 4, Wo: 4, Co: 16, kh: 3, kw: 3, sh: 1, sw: 1, top: 1, left: 1 };
    expect(smallFilterGradApplies(s)).toBe(true);
    expect(smallFilterGradApplies({ ...s, Co: 6 })).toBe(false);
    expect(smallFilterGradApplies({ ...s, Ci: 16 })).toBe(false);
  });

  it("equals the cpu backend's gradient (stride 2, same padding, 1 input channel)", async () => {
    await useBackend('cpu');
    const rng = new Rng('fg');
    const xv = Float32Array.from({ length: 3 * 9 * 11 }, () => rng.normal());
    const x = tf.tensor4d(xv, [3, 9, 11, 1]);
    const w = tf.zeros([3, 3, 1, 8]);
    const y = tf.conv2d(x, w as tf.Tensor4D, 2, 'same');
    const dyv = Float32Array.from({ length: y.size }, () => rng.normal());
    const [, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'),
    )([x, w], tf.tensor(dyv, y.shape));
    const [, Ho, Wo] = y.shape as number[];
    // 'same' with stride 2 on 9x11: outputs 5x6, padding top/left = floor((need) / 2)
    const padH = Math.max((Ho! - 1) * 2 + 3 - 9, 0);
    const padW = Math.max((Wo! - 1) * 2 + 3 - 11, 0);
    const got = smallFilterGrad(xv, dyv, {
      N: 3,
      H: 9,
      W: 11,
      Ci: 1,
      Ho: Ho!,
      Wo: Wo!,
      Co: 8,
      kh: 3,
      kw: 3,
      sh: 2,
      sw: 2,
      top: Math.floor(padH / 2),
      left: Math.floor(padW / 2),
    });
    expect(maxRelDiff(got, dw!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, w, y, dw!]);
  });

  it('src/simd/filter-grad.generated.ts is what assembly/filter-grad.ts compiles to', async () => {
    await expectEmbeddedWasmFresh('packages/core', 'filter-grad');
  });
});
