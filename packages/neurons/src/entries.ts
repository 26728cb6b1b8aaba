// The built-in neurons and surrogates as registry entries: data, no side effect. `plugin.ts`
// registers them; `createNeuron` and the surrogate option resolve names from them without
// registering anything.
import { registry, type ComponentEntry, type ComponentRef } from '@hybridspike/core';
import { z } from 'zod';
import { IF, LIF, PLIF, type SpikingNeuron } from './neuron.js';
import { neuronOptions } from './options.js';
import { SURROGATE_ENTRIES } from './surrogate-entries.js';

/** `neuron:*` of this package. */
export const NEURON_ENTRIES: readonly ComponentEntry[] = [
  {
    kind: 'neuron',
    name: 'lif',
    options: neuronOptions,
    create: (o: z.output<typeof neuronOptions>) => new LIF(o),
    description: 'leaky integrate-and-fire',
  },
  {
    kind: 'neuron',
    name: 'if',
    options: neuronOptions,
    create: (o: z.output<typeof neuronOptions>) => new IF(o),
    description: 'integrate-and-fire',
  },
  {
    kind: 'neuron',
    name: 'plif',
    options: neuronOptions,
    create: (o: z.output<typeof neuronOptions>) => new PLIF(o),
    description: 'LIF with learnable tau',
  },
];

/** Every entry this package's plugin registers: neurons and surrogates. */
export const NEURONS_PLUGIN_ENTRIES: readonly ComponentEntry[] = [...NEURON_ENTRIES, ...SURROGATE_ENTRIES];

/** A neuron layer by registry reference (`'lif'`, `{ name: 'plif', vThreshold: 0.5 }`), built-in or a plugin's. */
export function createNeuron(ref: ComponentRef | string): SpikingNeuron {
  return registry.createFrom('neuron', ref, NEURON_ENTRIES) as SpikingNeuron;
}
