/** Surrogate derivative of the bit-plane staircase (DESIGN.md 4.1). */
export type BitPlaneSurrogate = 'fourier' | 'sigsine' | 'tanhsine';

/** Default alpha of each surrogate: harmonics for fourier, slope for the sine ones. */
export const DEFAULT_ALPHA: Record<BitPlaneSurrogate, number> = { fourier: 5, sigsine: -10, tanhsine: -10 };

/** Evaluates the derivatives of all planes at one level `q` into `g[0..bits-1]`. */
export type PlaneSurrogateFn = (q: number, g: Float64Array) => void;

/**
 * Builds the surrogate derivative `d b_k / d q` of planes k = 0..bits-1, order-aware scaling
 * (`k / 2^(bits-1-k)`) included when asked; c = 2^k:
 *
 * - sigsine:  `u = a sin(pi q / c)`, `g = s(u)(1 - s(u)) * a pi / c * cos(pi q / c)`
 * - tanhsine: `g = 0.5 sech(u)^2 * a pi / c * cos(pi q / c)`
 * - fourier:  `g = offset - sum_{n odd < 2a} (2 / c) cos(pi n q / c)`
 *
 * Per-plane constants are tabulated once (Math.pow in the loop cost 6x); one sin/cos per level,
 * then double angles downwards (`theta_k = 2 theta_{k+1}`) and a Chebyshev recurrence for the
 * odd harmonics. All in float64: the few ulps lost are far below float32 resolution.
 */
export function makePlaneSurrogate(
  bits: number,
  surrogate: BitPlaneSurrogate,
  alpha: number,
  orderAware: boolean,
  fourierOffset: number,
): PlaneSurrogateFn {
  const top = bits - 1;
  const invC = Float64Array.from({ length: bits }, (_, k) => 1 / 2 ** k);
  const scale = planeScales(bits, orderAware);
  const topInvC = invC[top]!;
  const harmonics = Math.round(alpha);
  const kind = surrogate === 'fourier' ? 0 : surrogate === 'sigsine' ? 1 : 2;
  return (q, g) => {
    let cos = Math.cos(Math.PI * q * topInvC);
    let sin = Math.sin(Math.PI * q * topInvC);
    for (let k = top; k >= 0; k--) {
      if (k < top) {
        const c2 = 2 * cos * cos - 1;
        sin = 2 * sin * cos;
        cos = c2;
      }
      let v: number;
      if (kind === 0) {
        const c2 = 2 * cos * cos - 1; // cos(2 theta)
        let prev = cos; // cos((n - 2) theta) at n = 1: cos(-theta)
        let cur = cos;
        let sum = 0;
        for (let n = 0; n < harmonics; n++) {
          sum += cur;
          const next = 2 * c2 * cur - prev;
          prev = cur;
          cur = next;
        }
        v = fourierOffset - 2 * invC[k]! * sum;
      } else {
        const u = alpha * sin;
        const slope = alpha * Math.PI * invC[k]! * cos;
        if (kind === 1) {
          const e = 1 / (1 + Math.exp(-u));
          v = e * (1 - e) * slope;
        } else {
          const ch = Math.cosh(u);
          v = (0.5 / (ch * ch)) * slope;
        }
      }
      g[k] = v * scale[k]!;
    }
  };
}

/** The order-aware factor `k / 2^(bits-1-k)` of each plane k (all 1 when not order-aware). */
export function planeScales(bits: number, orderAware: boolean): Float64Array {
  return Float64Array.from({ length: bits }, (_, k) => (orderAware ? k / 2 ** (bits - 1 - k) : 1));
}
