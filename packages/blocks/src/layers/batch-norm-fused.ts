import * as tf from '@tensorflow/tfjs-core';
import { heapSimdModule, type SimdExports, type TfjsHeap } from '@hybridspike/core/internal/simd';
import { BATCH_NORM_WASM } from '../simd/batch-norm.generated.js';

interface BatchNormExports extends SimdExports {
  applyEval(
    x: number,
    mean: number,
    d: number,
    gamma: number,
    beta: number,
    y: number,
    m: number,
    c: number,
  ): void;
  sqdev(x: number, mean: number, out: number, m: number, c: number): void;
  apply(...ptrsThenMC: number[]): void;
  gradSums(dy: number, xhat: number, sdy: number, sdyxh: number, m: number, c: number): void;
  gradInput(
    dy: number,
    xhat: number,
    k: number,
    mf: number,
    dbeta: number,
    dgamma: number,
    dx: number,
    m: number,
    c: number,
  ): void;
}

/**
 * The full-size passes of training-mode BatchNorm (assembly/batch-norm.ts) in place on tfjs-wasm's
 * heap: 2 passes forward and 2 backward instead of ~11 elementwise kernels, with the same float32
 * operations in the same order, so the same bits. Per-channel vectors stay tfjs ops.
 */
export class FusedBatchNormPasses {
  private constructor(
    private readonly k: BatchNormExports,
    private readonly heap: TfjsHeap,
  ) {}

  /** The passes for these tensors, or null (not on the wasm heap, no SIMD, channels not a multiple of 4). */
  static for(...tensors: tf.Tensor[]): FusedBatchNormPasses | null {
    const c = tensors[0]!.shape[tensors[0]!.rank - 1]!;
    if (c % 4 !== 0) return null;
    const on = heapSimdModule<BatchNormExports>(BATCH_NORM_WASM);
    if (!on || !on.heap.offsetsOf(tensors)) return null;
    return new FusedBatchNormPasses(on.k, on.heap);
  }

  private at(t: tf.Tensor): number {
    const p = this.heap.offsetOf(t);
    if (p === null) throw new Error('hybridspike BatchNorm: a tensor left the wasm heap');
    return p;
  }

  /** Per-channel float64 sums filled by `run(offsets...)`, rounded to float32 like `columnSums`. */
  private sums(count: number, c: number, run: (...offsets: number[]) => void): Float32Array[] {
    const p = this.heap.malloc(8 * c * count);
    new Float64Array(this.heap.memory.buffer, p, c * count).fill(0);
    run(...Array.from({ length: count }, (_, i) => p + 8 * c * i));
    const f64 = new Float64Array(this.heap.memory.buffer, p, c * count);
    const out = Array.from({ length: count }, (_, i) => Float32Array.from(f64.subarray(c * i, c * (i + 1))));
    this.heap.free(p);
    return out;
  }

  /** `sum over rows of (x - mean)^2` per channel. */
  squaredDeviations(x: tf.Tensor, mean: tf.Tensor): Float32Array {
    const c = mean.size;
    return this.sums(1, c, (o) => this.k.sqdev(this.at(x), this.at(mean), o!, x.size / c, c))[0]!;
  }

  /** `xhat = (x - mean) * invstd`, `y = xhat * gamma + beta`. */
  apply(x: tf.Tensor, mean: tf.Tensor, invstd: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) {
    const xhat = this.heap.alloc(x.shape);
    const y = this.heap.alloc(x.shape);
    const c = mean.size;
    const ins = [x, mean, invstd, gamma, beta].map((t) => this.at(t));
    this.k.apply(...ins, xhat.offset, y.offset, x.size / c, c);
    return { xhat: xhat.tensor, y: y.tensor };
  }

  /**
   * Eval mode with the running statistics: `y = beta + ((x - mean) * gamma) / sqrt(var + eps)`,
   * tfjs-wasm's FusedBatchNorm formula (that kernel takes a square root per element; its results
   * differ from these in the last bit for about a quarter of the values).
   */
  applyEval(
    x: tf.Tensor,
    mean: tf.Tensor,
    variance: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    eps: number,
  ) {
    const F = Math.fround;
    const e = F(eps);
    const d = tf.tensor1d(Float32Array.from(variance.dataSync(), (v) => F(Math.sqrt(F(v + e)))));
    const y = this.heap.alloc(x.shape);
    const c = mean.size;
    this.k.applyEval(
      this.at(x),
      this.at(mean),
      this.at(d),
      this.at(gamma),
      this.at(beta),
      y.offset,
      x.size / c,
      c,
    );
    d.dispose();
    return y.tensor;
  }

  /** `[sum dy, sum dy * xhat]` per channel. */
  gradSums(dy: tf.Tensor, xhat: tf.Tensor): [Float32Array, Float32Array] {
    const c = dy.shape[dy.rank - 1]!;
    const [a, b] = this.sums(2, c, (sdy, sdyxh) =>
      this.k.gradSums(this.at(dy), this.at(xhat), sdy!, sdyxh!, dy.size / c, c),
    );
    return [a!, b!];
  }

  /** `dx = k * ((dy * m - dbeta) - xhat * dgamma)`. */
  gradInput(dy: tf.Tensor, xhat: tf.Tensor, k: tf.Tensor, dbeta: tf.Tensor, dgamma: tf.Tensor): tf.Tensor {
    const dx = this.heap.alloc(dy.shape);
    const c = k.size;
    const m = dy.size / c;
    this.k.gradInput(
      this.at(dy),
      this.at(xhat),
      this.at(k),
      Math.fround(m),
      this.at(dbeta),
      this.at(dgamma),
      dx.offset,
      m,
      c,
    );
    return dx.tensor;
  }
}
