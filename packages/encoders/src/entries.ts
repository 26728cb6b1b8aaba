// The built-in encoders and decoders as registry entries: data, no side effect. `plugin.ts`
// registers them; `createEncoder` / `createDecoder` resolve names from them without registering.
import { registry, type ComponentEntry, type ComponentRef } from '@hybridspike/core';
import { z } from 'zod';
import { BitPlaneEncoder, bitPlaneOptions } from './bitplane.js';
import { BitPlaneDecoder, bitPlaneDecoderOptions, RateDecoder } from './decoders.js';
import { LatencyEncoder, latencyOptions } from './latency.js';
import { RateEncoder, rateOptions } from './rate.js';
import { TemporalBitEncoder, temporalBitOptions } from './temporal-bit.js';
import type { SpikeDecoder, SpikeEncoder } from './types.js';

/** `encoder:*` and `decoder:*` of this package. */
export const ENCODER_ENTRIES: readonly ComponentEntry[] = [
  {
    kind: 'encoder',
    name: 'bitplane',
    options: bitPlaneOptions,
    create: (o: z.output<typeof bitPlaneOptions>) => new BitPlaneEncoder(o),
    description: 'bit-plane coding with surrogate gradient (HAS-8)',
  },
  {
    kind: 'encoder',
    name: 'rate',
    options: rateOptions,
    create: (o: z.output<typeof rateOptions>) => new RateEncoder(o),
    description: 'Bernoulli rate coding, straight-through gradient',
  },
  {
    kind: 'encoder',
    name: 'latency',
    options: latencyOptions,
    create: (o: z.output<typeof latencyOptions>) => new LatencyEncoder(o),
    description: 'time-to-first-spike coding',
  },
  {
    kind: 'encoder',
    name: 'temporal-bit',
    options: temporalBitOptions,
    create: (o: z.output<typeof temporalBitOptions>) => new TemporalBitEncoder(o),
    description: 'bit planes followed by a latency code',
  },
  {
    kind: 'decoder',
    name: 'bitplane',
    options: bitPlaneDecoderOptions,
    create: (o: z.output<typeof bitPlaneDecoderOptions>) => new BitPlaneDecoder(o),
    description: 'weighted sum 2^k / (2^bits - 1)',
  },
  {
    kind: 'decoder',
    name: 'rate',
    options: z.object({}),
    create: () => new RateDecoder(),
    description: 'mean over time',
  },
];

/** An encoder by registry reference (`'bitplane'`, `{ name: 'rate', steps: 8 }`), built-in or a plugin's. */
export function createEncoder(ref: ComponentRef | string): SpikeEncoder {
  return registry.createFrom('encoder', ref, ENCODER_ENTRIES) as SpikeEncoder;
}

/** A decoder by registry reference, built-in or a plugin's. */
export function createDecoder(ref: ComponentRef | string): SpikeDecoder {
  return registry.createFrom('decoder', ref, ENCODER_ENTRIES) as SpikeDecoder;
}
