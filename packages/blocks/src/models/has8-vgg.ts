import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError, type OnnxLowering, type OnnxValue } from '@hybridspike/core';
import { AnnConvBlock, AnnLinearStack } from '../ann-blocks.js';
import { Fusion, type Branch } from '../fusion.js';
import { initContext } from '../layers/init.js';
import { GlobalAvgPool } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { SnnConvBlock, SnnLinearStack, SnnReadoutHead, type EncodeDecodeBlock } from '../snn-blocks.js';
import { resolveSpiking, type SpikingOptions } from '../spiking-spec.js';
import { checkSnnTwin, HybridModel, type SnnTwin } from './hybrid-model.js';

export interface Has8VggOptions extends SpikingOptions {
  inChannels: number;
  numClasses: number;
  /** Width factor b: the first block maps C to C*b channels (presets 16 and 24). */
  base?: number;
  /** Channel multiplier m per block (default 2). */
  multiplier?: number;
  /** Number of blocks d after the first (default 4). */
  depth?: number;
  branch?: Branch;
  /** Seed of the weight initialisation. */
  seed?: number;
  /** Hidden widths of the linear fusion head (default [1024, 512]). */
  hidden?: [number, number];
  /** How the SNN-only twin (`branch: 'snn'`) is built; see {@link SnnTwin}. Default `'end-to-end'`. */
  snnTwin?: SnnTwin;
}

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
export class Has8Vgg extends HybridModel {
  readonly blocks: Sequential;
  readonly pool = this.addModule('pool', new GlobalAvgPool());
  readonly head: Fusion;
  readonly depth: number;

  constructor(options: Has8VggOptions) {
    const base = options.base ?? 16;
    const m = options.multiplier ?? 2;
    const depth = options.depth ?? 4;
    const branch = options.branch ?? 'hybrid';
    const { inChannels: C, numClasses } = options;
    for (const [k, v] of Object.entries({ inChannels: C, numClasses, base, multiplier: m, depth })) {
      if (!Number.isInteger(v) || v < (k === 'depth' ? 0 : 1)) {
        throw new HybridSpikeError(
          'BAD_OPTIONS',
          `has8Vgg option '${k}' must be a positive integer, got ${v}.`,
        );
      }
    }
    const spec = resolveSpiking(options);
    const hidden = options.hidden ?? [1024, 512];
    if (hidden.length !== 2 || !hidden.every((h) => Number.isInteger(h) && h >= 1)) {
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `has8Vgg option 'hidden' must be two positive integers, got [${hidden}].`,
      );
    }
    const snnTwin = checkSnnTwin(options.snnTwin, branch);
    const config = {
      model: 'has8Vgg',
      inChannels: C,
      numClasses,
      base,
      multiplier: m,
      depth,
      branch,
      seed: options.seed ?? 0,
      hidden,
      ...(snnTwin ? { snnTwin } : {}),
    };
    super(config, branch, C, numClasses, spec, snnTwin === 'end-to-end');
    this.depth = depth;
    const ctx = initContext(options.seed ?? 0);
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
      this.endToEnd
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
