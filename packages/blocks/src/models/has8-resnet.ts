import * as tf from '@tensorflow/tfjs-core';
import { parseOptions, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';
import { z } from 'zod';
import { AnnInitConv, AnnResidualBlock, residualPlan } from '../ann-blocks.js';
import { Fusion } from '../fusion.js';
import { initContext } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import { GlobalAvgPool } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { decodeSpikes, SnnInitConv, SnnResidualBlock, type EncodeDecodeBlock } from '../snn-blocks.js';
import { resolveSpiking } from '../spiking-spec.js';
import { HybridModel, type SnnTwin } from './hybrid-model.js';
import { checkSnnTwinBranch, modelFields } from './model-options.js';

/** The fields of {@link has8ResNetOptions}, each documented once. */
export const has8ResNetFields = {
  ...modelFields,
  /** Width of the stem and first stage (presets 32 and 64); stages use b, 2b, 4b, 8b. Default 32. */
  base: z.number().int().positive().default(32),
  /** Blocks per stage: [2,2,2,2] (18, default), [3,4,6,3] (34 basic, 50 bottleneck). */
  layers: z.array(z.number().int().positive()).min(1).default([2, 2, 2, 2]),
  /** Residual block: `'basic'` (default) or `'bottleneck'`. */
  block: z.enum(['basic', 'bottleneck']).default('basic'),
};

/** The schema of {@link Has8ResNetOptions}: what configs, sweep files and the constructor validate. */
export const has8ResNetOptions: z.ZodObject<typeof has8ResNetFields> = z.object(has8ResNetFields);

/** Options of {@link has8ResNet}. */
export type Has8ResNetOptions = z.input<typeof has8ResNetOptions>;

/** Named presets: `resnet18|34|50` depth with base 32 or 64. */
export const RESNET_PRESETS: Record<string, Pick<Has8ResNetOptions, 'layers' | 'block'>> = {
  resnet18: { layers: [2, 2, 2, 2], block: 'basic' },
  resnet34: { layers: [3, 4, 6, 3], block: 'basic' },
  resnet50: { layers: [3, 4, 6, 3], block: 'bottleneck' },
};

/**
 * HAS-8-ResNet: a fusion stem (ANN 7x7/2 conv-BN-ReLU-MaxPool 3/2; SNN 7x7/2 conv-BN-LIF-AvgPool
 * 3/2), four stages of fusion residual blocks (ANN: standard basic/bottleneck; SNN: SEW blocks
 * with spiking downsample and ADD), global average pool and a plain Linear head.
 */
export class Has8ResNet extends HybridModel implements OnnxExportable {
  readonly stem: Fusion;
  readonly stages: Sequential;
  readonly pool = this.addModule('pool', new GlobalAvgPool());
  readonly fc: Linear;

  constructor(options: Has8ResNetOptions) {
    const o = parseOptions(has8ResNetOptions, options, 'has8ResNet');
    checkSnnTwinBranch(o, 'has8ResNet');
    const { base, layers, block, branch, inChannels: C, numClasses } = o;
    const spec = resolveSpiking(o);
    const snnTwin: SnnTwin | null = branch === 'snn' ? (o.snnTwin ?? 'end-to-end') : null;
    const config = {
      model: 'has8ResNet',
      inChannels: C,
      numClasses,
      base,
      layers,
      block,
      branch,
      seed: o.seed,
      ...(snnTwin ? { snnTwin } : {}),
    };
    super(config, branch, C, numClasses, spec, snnTwin === 'end-to-end');
    const ctx = initContext(o.seed);
    this.stem = this.addModule(
      'stem',
      new Fusion(
        branch,
        () => new AnnInitConv(C, base, ctx),
        () => new SnnInitConv(C, base, spec, ctx),
      ),
    );
    const blocks: Fusion[] = [];
    let inC = base;
    layers.forEach((n, stage) => {
      const width = base * 2 ** stage;
      for (let j = 0; j < n; j++) {
        const plan = residualPlan(block, inC, width, j === 0 && stage > 0 ? 2 : 1);
        blocks.push(
          new Fusion(
            branch,
            () => new AnnResidualBlock(plan, ctx),
            () => new SnnResidualBlock(plan, spec, ctx),
          ),
        );
        inC = plan.convs[plan.convs.length - 1]!.outC;
      }
    });
    this.stages = this.addModule('stages', new Sequential(blocks));
    this.fc = this.addModule('fc', new Linear(inC, numClasses, ctx));
  }

  minInputSize(): number {
    // Padded 7x7/2 conv, 3/2 pool with pad 1 and strided 3x3 convs all map size >= 1 to >= 1.
    return 1;
  }

  protected body(x: tf.Tensor): tf.Tensor {
    if (this.endToEnd) {
      const blocks = [this.stem, ...this.stages.layers].map((f) => (f as Fusion).snn as EncodeDecodeBlock);
      return tf.tidy(() =>
        this.fc.forward(decodeSpikes(blocks[blocks.length - 1]!, this.spikingChain(x, blocks, this.pool))),
      );
    }
    return this.fc.forward(this.pool.forward(this.stages.forward(this.stem.forward(x))));
  }
  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    if (!this.endToEnd)
      return ctx.emit(this.fc, ctx.emit(this.pool, ctx.emit(this.stages, ctx.emit(this.stem, x))));
    const blocks = [this.stem, ...this.stages.layers].map((f) => (f as Fusion).snn as EncodeDecodeBlock);
    return ctx.emit(
      this.fc,
      ctx.decode(this.spec.decoder, this, this.spikingChainToOnnx(ctx, x, blocks, this.pool)),
    );
  }
}

/** Builds a {@link Has8ResNet}; `preset` picks layers and block. */
export function has8ResNet(
  options: Has8ResNetOptions & { preset?: keyof typeof RESNET_PRESETS },
): Has8ResNet {
  const { preset, ...rest } = options;
  return new Has8ResNet({ ...(preset ? RESNET_PRESETS[preset] : {}), ...rest });
}
