import { HybridSpikeError, registry, type ComponentRef, componentRefSchema } from '@hybridspike/core';
import { z } from 'zod';
import type { Surrogate } from './surrogates.js';
import { SURROGATE_ENTRIES } from './surrogate-entries.js';

/** A surrogate given by name (`'atan'`), by reference (`{ name: 'atan', alpha: 3 }`) or as an object. */
export const surrogateRef = componentRefSchema;
/** A surrogate gradient: a registered name, a name with options, or a {@link Surrogate} object. */
export type SurrogateRef = string | ComponentRef | Surrogate;

/** The fields of {@link neuronOptions}, each documented once (editors show it from `dist`). */
export const neuronFields = {
  /** Membrane time constant `tau` (LIF; PLIF's initial value, learnt as `1 / sigmoid(w)`). Default 2, at least 1. */
  tau: z.number().min(1).default(2),
  /** Firing threshold: a spike when the charged membrane `h >= vThreshold`. Default 1. */
  vThreshold: z.number().default(1),
  /**
   * Hard-reset value: after a spike the membrane is set to it; also the resting value the charge
   * decays towards. `null` means soft reset: subtract `vThreshold` instead (and rest at 0). Default 0.
   */
  vReset: z.number().nullable().default(0),
  /**
   * Charge form: `true` (default) `v + (x - (v - vReset)) / tau` (the input is divided by tau too);
   * `false` `v - (v - vReset) / tau + x`.
   */
  decayInput: z.boolean().default(true),
  /** Stop the gradient through the spike in the reset term (SpikingJelly's `detach_reset`). Default false. */
  detachReset: z.boolean().default(false),
  /** See {@link NeuronOptions.surrogate}. */
  surrogate: surrogateRef.default('atan'),
  /** Keep the last forward's pre-reset membrane potentials (`lastMembrane`) for inspection. Default false. */
  recordMembrane: z.boolean().default(false),
};

/** The schema of {@link NeuronOptions}: what configs, sweep files and the constructors validate. */
export const neuronOptions: z.ZodObject<typeof neuronFields> = z.object(neuronFields);

/**
 * Options of IF, LIF and PLIF (SpikingJelly defaults), derived from {@link neuronOptions}. Per
 * time step, with membrane `v` starting at `vReset` for every new input: charge (LIF)
 * `h = v + (x - (v - vReset)) / tau` (IF: `h = v + x`), fire `s = h >= vThreshold ? 1 : 0`,
 * reset `v = s ? vReset : h` (hard) or `v = h - s * vThreshold` (soft, `vReset: null`).
 */
export type NeuronOptions = Omit<z.input<typeof neuronOptions>, 'surrogate'> & {
  /**
   * Surrogate derivative of the spike for the backward pass: a registered name (`'atan'`, default,
   * alpha 2: `alpha/2 / (1 + (pi/2 alpha x)^2)`; `'sigmoid'`, alpha 4; `'fastSigmoid'`, slope 25;
   * `'triangle'`, width 1), a reference with parameters (`{ name: 'atan', alpha: 3 }`), or an
   * object with `grad(x)`; `x = h - vThreshold`.
   */
  surrogate?: SurrogateRef;
};
/** A neuron's options after defaults are filled in (the surrogate resolved separately). */
export type ResolvedNeuronOptions = Omit<z.output<typeof neuronOptions>, 'surrogate'>;

/** Resolves a surrogate option: built-in names, then the registry (objects with a `grad` pass as they are). */
export function resolveSurrogate(ref: SurrogateRef): Surrogate {
  if (typeof ref === 'object' && typeof (ref as Surrogate).grad === 'function') return ref as Surrogate;
  const s = registry.createFrom('surrogate', ref as ComponentRef | string, SURROGATE_ENTRIES) as Surrogate;
  if (typeof s?.grad !== 'function') {
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `surrogate '${JSON.stringify(ref)}' did not build an object with a grad(x) function.`,
    );
  }
  return s;
}
