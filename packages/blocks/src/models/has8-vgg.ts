import * as tf from '@tensorflow/tfjs-core';
import { parseOptions, type OnnxLowering, type OnnxValue, type OnnxExportable } from '@hybridspike/core';
import { z } from 'zod';
import { AnnConvBlock, AnnLinearStack } from '../ann-blocks.js';
import { Fusion } from '../fusion.js';
import { initContext } from '../layers/init.js';
import { GlobalAvgPool } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { SnnConvBlock, SnnLinearStack, SnnReadoutHead, type EncodeDecodeBlock } from '../snn-blocks.js';
import { resolveSpiking } from '../spiking-spec.js';
import { HybridModel, type SnnTwin } from './hybrid-model.js';
import { checkSnnTwinBranch, modelFields } from './model-options.js';

/** The fields of {@link has8VggOptions}, each documented once. */
export const has8VggFields = {
  ...modelFields,
  /** Width factor b: the first block maps C to C*b channels (presets 16 and 24). Default 16. */
  base: z.number().int().positive().default(16),
  /** Channel multiplier m per block. Default 2. */
  multiplier: z.number().int().positive().default(2),
  /** Number of blocks d after the first. Default 4. */
  depth: z.number().int().min(0).default(4),
  /** Hidden widths of the linear fusion head. Default [1024, 512]. */
  hidden: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /**
   * The SNN half of the hybrid's head: `'paper'` (default; the authors' spiking Linear-LIF stack,
   * decoded, which falls silent once training starts) or `'firing'` (BatchNorm before each spiking
   * layer and a non-spiking readout of the decoded code, as the SNN-only twin's head): an ablation.
   */
  head: z.enum(['paper', 'firing']).default('paper'),
};

/** The schema of {@link Has8VggOptions}: what configs, sweep files and the constructor validate. */
export const has8VggOptions: z.ZodObject<typeof has8VggFields> = z.object(has8VggFields);

/** Options of {@link has8Vgg}. */
export type Has8VggOptions = z.input<typeof has8VggOptions>;

/**
 * HAS-8-VGG (Luu et al.): `ConvFusion(C -> C*b)`, then `depth` ConvFusion blocks multiplying
 * the channels by `m`, global average pool, and `LinearFusion(C*b*m^d -> classes)`. Every
 * fusion block sums an ANN block and an encode-decode SNN block (or keeps one: `branch`).
 * b16 with 1 input channel and 10 classes has 2,371,828 parameters, with 3 channels 9,693,556.
 *
 * @example
 * ```ts
 * const model = has8Vgg({ inChannels: 1, numClasses: 10, base: 16 });
 * const logits = model.forward(images); // images: [B, 32, 32, 1]
 * ```
 */
export class Has8Vgg extends HybridModel implements OnnxExportable {
  readonly blocks: Sequential;
  readonly pool = this.addModule('pool', new GlobalAvgPool());
  readonly head: Fusion;
  readonly depth: number;

  constructor(options: Has8VggOptions) {
    const o = parseOptions(has8VggOptions, options, 'has8Vgg');
    checkSnnTwinBranch(o, 'has8Vgg');
    const { base, multiplier: m, depth, branch, inChannels: C, numClasses } = o;
    const spec = resolveSpiking(o);
    const hidden = o.hidden ?? [1024, 512];
    const snnTwin: SnnTwin | null = branch === 'snn' ? (o.snnTwin ?? 'end-to-end') : null;
    const config = {
      model: 'has8Vgg',
      inChannels: C,
      numClasses,
      base,
      multiplier: m,
      depth,
      branch,
      seed: o.seed,
      hidden,
      ...(o.head !== 'paper' ? { head: o.head } : {}),
      ...(snnTwin ? { snnTwin } : {}),
    };
    super(config, branch, C, numClasses, spec, snnTwin === 'end-to-end');
    this.depth = depth;
    const ctx = initContext(o.seed);
    const widths = [C, C * base];
    for (let i = 0; i < depth; i++) widths.push(widths[widths.length - 1]! * m);
    const blocks = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const [a, b] = [widths[i]!, widths[i + 1]!];
      blocks.push(
        new Fusion(
          branch,
          () => new AnnConvBlock(a, b, ctx),
          () => new SnnConvBlock(a, b, spec, ctx),
        ),
      );
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
    const feat = widths[widths.length - 1]!;
    const snnSide = () =>
      this.endToEnd || o.head === 'firing'
        ? new SnnReadoutHead(feat, numClasses, spec, ctx, hidden)
        : new SnnLinearStack(feat, numClasses, spec, ctx, hidden);
    this.head = this.addModule(
      'head',
      new Fusion(branch, () => new AnnLinearStack(feat, numClasses, ctx, hidden), snnSide),
    );
  }

  minInputSize(): number {
    return 2 ** (this.depth + 1);
  }

  protected body(x: tf.Tensor): tf.Tensor {
    if (this.endToEnd) {
      const blocks = this.blocks.layers.map((f) => (f as Fusion).snn as EncodeDecodeBlock);
      return (this.head.snn as SnnReadoutHead).readoutSpikes(this.spikingChain(x, blocks, this.pool));
    }
    return this.head.forward(this.pool.forward(this.blocks.forward(x)));
  }

  toOnnx(ctx: OnnxLowering, x: OnnxValue): OnnxValue {
    if (!this.endToEnd) return ctx.emit(this.head, ctx.emit(this.pool, ctx.emit(this.blocks, x)));
    const blocks = this.blocks.layers.map((f) => (f as Fusion).snn as EncodeDecodeBlock);
    return (this.head.snn as SnnReadoutHead).readoutSpikesToOnnx(
      ctx,
      this.spikingChainToOnnx(ctx, x, blocks, this.pool),
    );
  }
}

/** Builds a {@link Has8Vgg}. */
export function has8Vgg(options: Has8VggOptions): Has8Vgg {
  return new Has8Vgg(options);
}
