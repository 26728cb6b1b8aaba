// Registers this package's encoders and decoders in the core registry (import for effect).
import { registerOnce } from '@hybridspike/core';
import { BitPlaneEncoder, bitPlaneOptions } from './bitplane.js';
import { BitPlaneDecoder, bitPlaneDecoderOptions, RateDecoder } from './decoders.js';
import { LatencyEncoder, latencyOptions } from './latency.js';
import { RateEncoder, rateOptions } from './rate.js';
import { TemporalBitEncoder, temporalBitOptions } from './temporal-bit.js';
import { z } from 'zod';

registerOnce({
  kind: 'encoder',
  name: 'bitplane',
  options: bitPlaneOptions,
  create: (o) => new BitPlaneEncoder(o),
  description: 'bit-plane coding with surrogate gradient (HAS-8)',
});
registerOnce({
  kind: 'encoder',
  name: 'rate',
  options: rateOptions,
  create: (o) => new RateEncoder(o),
  description: 'Bernoulli rate coding, straight-through gradient',
});
registerOnce({
  kind: 'encoder',
  name: 'latency',
  options: latencyOptions,
  create: (o) => new LatencyEncoder(o),
  description: 'time-to-first-spike coding',
});
registerOnce({
  kind: 'encoder',
  name: 'temporal-bit',
  options: temporalBitOptions,
  create: (o) => new TemporalBitEncoder(o),
  description: 'bit planes followed by a latency code',
});
registerOnce({
  kind: 'decoder',
  name: 'bitplane',
  options: bitPlaneDecoderOptions,
  create: (o) => new BitPlaneDecoder(o),
  description: 'weighted sum 2^k / (2^bits - 1)',
});
registerOnce({
  kind: 'decoder',
  name: 'rate',
  options: z.object({}),
  create: () => new RateDecoder(),
  description: 'mean over time',
});
