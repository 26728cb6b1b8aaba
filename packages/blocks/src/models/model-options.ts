import { componentRefSchema, HybridSpikeError, type ComponentRef } from '@hybridspike/core';
import type { SpikeDecoder, SpikeEncoder } from '@hybridspike/encoders';
import { z } from 'zod';

const isObject = (v: unknown) => typeof v === 'object' && v !== null;

/** A component given by registry reference, or (in code) as a live object. */
const componentOrObject = <T>() =>
  z.custom<T | ComponentRef | string>(
    (v) => typeof v === 'string' || isObject(v),
    'a registered name, { name, ...options }, or a component object',
  );

/** The fields every zoo model takes, each documented once (editors show it from `dist`). */
export const modelFields = {
  /** Input channels C (NHWC images `[B, H, W, C]`). */
  inChannels: z.number().int().positive(),
  /** Output classes (logits `[B, classes]`), at least 2. */
  numClasses: z.number().int().min(2),
  /** `'hybrid'` (default, the paper's model), or its ANN-only / SNN-only twin. */
  branch: z.enum(['hybrid', 'ann', 'snn']).default('hybrid'),
  /** Seed of the weight initialisation. Default 0. */
  seed: z.number().int().default(0),
  /** Spike encoder: default `{ name: 'bitplane' }` (8 planes, fourier surrogate). */
  encoder: componentOrObject<SpikeEncoder>().optional(),
  /** Spike decoder: default the one matching the encoder (bit-plane weights, else rate). */
  decoder: componentOrObject<SpikeDecoder>().optional(),
  /** Neuron of every spiking layer: default `{ name: 'lif' }` (tau 2, atan surrogate). */
  neuron: componentRefSchema.optional(),
  /**
   * How the SNN-only twin (`branch: 'snn'`, only) is built: `'end-to-end'` (default; encode once,
   * a plain deep SNN with a non-spiking readout) or `'layerwise'` (the hybrid's SNN side alone).
   */
  snnTwin: z.enum(['end-to-end', 'layerwise']).optional(),
};

/** `snnTwin` belongs to the SNN-only twin: throws, naming the option, for another branch. */
export function checkSnnTwinBranch(o: { branch: string; snnTwin?: unknown }, who: string): void {
  if (o.snnTwin !== undefined && o.branch !== 'snn')
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `${who}: option 'snnTwin' applies to branch 'snn' only, got branch '${o.branch}'.`,
    );
}
