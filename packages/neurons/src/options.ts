import { HybridSpikeError, registry, type ComponentRef, componentRefSchema } from '@hybridspike/core';
import { z } from 'zod';
import type { Surrogate } from './surrogates.js';

/** A surrogate given by name (`'atan'`), by reference (`{ name: 'atan', alpha: 3 }`) or as an object. */
export const surrogateRef = componentRefSchema;
export type SurrogateRef = string | ComponentRef | Surrogate;

/** Options shared by IF, LIF and PLIF (SpikingJelly defaults). */
export const neuronOptions = z.object({
  /** Membrane time constant (LIF; PLIF's initial value). */
  tau: z.number().min(1).default(2),
  vThreshold: z.number().default(1),
  /** Hard reset value; `null` for soft reset (subtract the threshold). */
  vReset: z.number().nullable().default(0),
  /** LIF charge `v + (x - (v - v_reset)) / tau` (true) or `v - (v - v_reset) / tau + x` (false). */
  decayInput: z.boolean().default(true),
  /** Stop the gradient through the spike in the reset term. */
  detachReset: z.boolean().default(false),
  surrogate: surrogateRef.default('atan'),
  /** Keep the last forward's membrane potentials (pre-reset) for inspection and parity checks. */
  recordMembrane: z.boolean().default(false),
});
export type NeuronOptions = Omit<z.input<typeof neuronOptions>, 'surrogate'> & { surrogate?: SurrogateRef };
export type ResolvedNeuronOptions = Omit<z.output<typeof neuronOptions>, 'surrogate'>;

/** Resolves a surrogate option through the registry (objects with a `grad` pass as they are). */
export function resolveSurrogate(ref: SurrogateRef): Surrogate {
  if (typeof ref === 'object' && typeof (ref as Surrogate).grad === 'function') return ref as Surrogate;
  const s = registry.create('surrogate', ref as ComponentRef | string) as Surrogate;
  if (typeof s?.grad !== 'function') {
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `surrogate '${JSON.stringify(ref)}' did not build an object with a grad(x) function.`,
    );
  }
  return s;
}
