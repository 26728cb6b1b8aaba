export type { SpikeEncoder, SpikeDecoder } from './types.js';
export { BitPlaneEncoder, bitPlaneOptions, planeAtStep } from './bitplane.js';
export type { BitPlaneOptions, ResolvedBitPlaneOptions, BitPlaneSurrogate } from './bitplane.js';
export { makePlaneSurrogate, DEFAULT_ALPHA } from './bitplane-surrogates.js';
export type { PlaneSurrogateFn } from './bitplane-surrogates.js';
export { RateEncoder, rateOptions } from './rate.js';
export type { RateOptions } from './rate.js';
export { LatencyEncoder, latencyOptions } from './latency.js';
export type { LatencyOptions } from './latency.js';
export { TemporalBitEncoder, temporalBitOptions } from './temporal-bit.js';
export type { TemporalBitOptions } from './temporal-bit.js';
export {
  decodeBitPlane,
  decodeRate,
  BitPlaneDecoder,
  RateDecoder,
  bitPlaneWeights,
  bitPlaneDecoderOptions,
} from './decoders.js';
export type { BitPlaneDecoderOptions } from './decoders.js';
export { rescaleTo01 } from './rescale.js';
export type { RescaleMode } from './rescale.js';
export { createDecoder, createEncoder, ENCODER_ENTRIES } from './entries.js';
