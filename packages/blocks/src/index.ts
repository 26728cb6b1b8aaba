export { Conv2d } from './layers/conv2d.js';
export type { Conv2dOptions } from './layers/conv2d.js';
export { Linear } from './layers/linear.js';
export { BatchNorm } from './layers/batch-norm.js';
export { AvgPool2d, MaxPool2d, GlobalAvgPool, Flatten } from './layers/pool.js';
export { LeakyReLU, ReLU } from './layers/activations.js';
export { Sequential } from './layers/sequential.js';
export { MultiStep } from './layers/multi-step.js';
export { foldTime, unfoldTime } from './layers/time-fold.js';
export { initContext, uniform } from './layers/init.js';
export type { InitContext } from './layers/init.js';
export { withOpRecorder, activeRecorder } from './layers/op-recorder.js';
export type { OpRecorder, RecordedKind } from './layers/op-recorder.js';
export { AnnConvBlock, AnnLinearStack, AnnInitConv, AnnResidualBlock, residualPlan } from './ann-blocks.js';
export type { ResidualPlan } from './ann-blocks.js';
export {
  EncodeDecodeBlock,
  encodeSpikes,
  decodeSpikes,
  perStep,
  SnnConvBlock,
  SnnLinearStack,
  SnnReadoutHead,
  SnnInitConv,
  SnnResidualBlock,
  SNN_BN_MOMENTUM,
  spikingLayer,
} from './snn-blocks.js';
export { Fusion } from './fusion.js';
export type { Branch } from './fusion.js';
export { resolveSpiking } from './spiking-spec.js';
export type { SpikingSpec, SpikingOptions } from './spiking-spec.js';
export type { SnnTwin } from './models/hybrid-model.js';
export { HybridModel } from './models/hybrid-model.js';
export { Has8Vgg, has8Vgg } from './models/has8-vgg.js';
export type { Has8VggOptions } from './models/has8-vgg.js';
export { has8VggOptions } from './models/has8-vgg.js';
export { Has8ResNet, has8ResNet, RESNET_PRESETS } from './models/has8-resnet.js';
export type { Has8ResNetOptions } from './models/has8-resnet.js';
export { has8ResNetOptions } from './models/has8-resnet.js';
export {
  countOps,
  spikeCountScale,
  ENERGY_MODEL,
  PICOJOULES_PER_MAC,
  PICOJOULES_PER_AC,
} from './count-ops.js';
export type { OpCount, LayerOps, BranchOps, OpBranch } from './count-ops.js';

import type { HybridModel } from './models/hybrid-model.js';
declare module '@hybridspike/core' {
  interface ComponentKinds {
    model: HybridModel;
  }
}
