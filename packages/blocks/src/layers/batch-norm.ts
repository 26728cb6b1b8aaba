import * as tf from '@tensorflow/tfjs-core';
import {
  checkTensor,
  columnSumsOf,
  customGradOp,
  HybridSpikeError,
  Module,
  type OnnxLowering,
  type OnnxValue,
  type OnnxExportable,
} from '@hybridspike/core';
import { activeRecorder } from './op-recorder.js';
import { FusedBatchNormPasses } from './batch-norm-fused.js';
import { sumLeading } from './reduce-rows.js';

/**
 * BatchNorm over the last (channel) axis, PyTorch semantics: training normalises with the
 * biased batch variance over every other axis and updates
 * `running = (1 - momentum) * running + momentum * batch` with the unbiased variance;
 * eval uses the running statistics. `weight` (gamma) starts at 1, `bias` (beta) at 0.
 */
export class BatchNorm extends Module implements OnnxExportable {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    readonly channels: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.addParameter('weight', tf.ones([channels]));
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tf.ones([channels]));
  }

  /** ONNX `BatchNormalization` with the running statistics (export is inference). */
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    const p = ctx.pathOf(this);
    const g = ctx.g;
    const C = this.channels;
    const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
    const ins = [
      x.name,
      g.floatInit(`${p}.weight`, [C], data(this.weight)),
      g.floatInit(`${p}.bias`, [C], data(this.bias)),
      g.floatInit(`${p}.running_mean`, [C], data(this.runningMean)),
      g.floatInit(`${p}.running_var`, [C], data(this.runningVar)),
    ];
    return { name: g.op('BatchNormalization', ins, { epsilon: { float: this.eps } }, p), shape: x.shape };
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `${this.typeName} input`, 2);
    if (x.shape[x.rank - 1] !== this.channels) {
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `BatchNorm expects ${this.channels} channels in the last dim, got shape [${x.shape}].`,
      );
    }
    if (!this.training) {
      const y =
        FusedBatchNormPasses.for(x)?.applyEval(
          x,
          this.runningMean,
          this.runningVar,
          this.weight,
          this.bias,
          this.eps,
        ) ?? tf.batchNorm(x, this.runningMean, this.runningVar, this.bias, this.weight, this.eps);
      activeRecorder()?.record(this, 'batchnorm', x, y);
      return y;
    }
    const count = x.size / this.channels;
    if (count < 2)
      throw new HybridSpikeError(
        'BAD_SHAPE',
        `BatchNorm in training needs more than one value per channel, got shape [${x.shape}].`,
      );
    let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
    const y = batchNormTrain(x, this.weight, this.bias, this.eps, (mean, variance) => {
      stats = { mean, variance };
    });
    tf.tidy(() => {
      const m = this.momentum;
      const unbiased = tf.mul(stats!.variance, count / (count - 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(stats!.mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
    tf.dispose([stats!.mean, stats!.variance]);
    return y;
  }
}

/**
 * Training-mode batch norm over the last axis as one op with the closed-form backward
 * (`dx = gamma invstd / M * (M dy - sum dy - xhat sum(dy xhat))`); tfjs's own gradient tiles
 * every statistic to the full input size, which dominated a training step.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStats: (mean: tf.Tensor, variance: tf.Tensor) => void,
  allowFused = true,
): tf.Tensor {
  return customGradOp(([xIn, g, b], save) => {
    const m = xIn!.size / xIn!.shape[xIn!.rank - 1]!;
    const fused = allowFused ? FusedBatchNormPasses.for(xIn!) : null;
    if (fused) return batchNormTrainFused(fused, xIn!, g!, b!, m, eps, onStats, save);
    const mean = tf.div(sumLeading(xIn!), m);
    const xc = tf.sub(xIn!, mean);
    const variance = tf.div(sumLeading(tf.square(xc)), m);
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(xc, invstd);
    onStats(tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance)));
    save([xhat, invstd, g!]);
    return {
      value: tf.add(tf.mul(xhat, g!), b!),
      gradFunc: (dy, [xh, inv, gm]) => batchNormGrad(dy, xh!, inv!, gm!, m),
    };
  })(x, gamma, beta);
}

/** {@link batchNormTrain} with its full-size passes fused (same operations, same bits). */
function batchNormTrainFused(
  fused: FusedBatchNormPasses,
  x: tf.Tensor,
  g: tf.Tensor,
  b: tf.Tensor,
  m: number,
  eps: number,
  onStats: (mean: tf.Tensor, variance: tf.Tensor) => void,
  save: tf.GradSaveFunc,
): { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } {
  const mean = tf.div(tf.tensor1d(columnSumsOf(x)), m);
  const variance = tf.div(tf.tensor1d(fused.squaredDeviations(x, mean)), m);
  const invstd = tf.rsqrt(tf.add(variance, eps));
  const { xhat, y } = fused.apply(x, mean, invstd, g, b);
  onStats(tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance)));
  save([xhat, invstd, g]);
  return {
    value: y,
    gradFunc: (dy, [xh, inv, gm]) => {
      const passes = FusedBatchNormPasses.for(dy, xh!);
      if (!passes) return batchNormGrad(dy, xh!, inv!, gm!, m);
      const [sdy, sdyxh] = passes.gradSums(dy, xh!);
      const dbeta = tf.tensor1d(sdy);
      const dgamma = tf.tensor1d(sdyxh);
      const k = tf.div(tf.mul(gm!, inv!), m);
      return [passes.gradInput(dy, xh!, k, dbeta, dgamma), dgamma, dbeta];
    },
  };
}

/** `[dx, dgamma, dbeta]` of training-mode BatchNorm by tfjs ops. */
function batchNormGrad(dy: tf.Tensor, xh: tf.Tensor, inv: tf.Tensor, gm: tf.Tensor, m: number): tf.Tensor[] {
  const dbeta = sumLeading(dy);
  const dgamma = sumLeading(tf.mul(dy, xh));
  const dx = tf.mul(tf.div(tf.mul(gm, inv), m), tf.sub(tf.sub(tf.mul(dy, m), dbeta), tf.mul(xh, dgamma)));
  return [dx, dgamma, dbeta];
}
