export { SpikingNeuron, IF, LIF, PLIF } from './neuron.js';
export { atan, sigmoid, fastSigmoid, triangle, surrogateGradTensor } from './surrogates.js';
export type { Surrogate } from './surrogates.js';
export { neuronOptions, resolveSurrogate, surrogateRef } from './options.js';
export type { NeuronOptions, ResolvedNeuronOptions, SurrogateRef } from './options.js';
export type { NeuronDynamics } from './dynamics.js';

import type { SpikingNeuron } from './neuron.js';
import type { Surrogate } from './surrogates.js';
declare module '@hybridspike/core' {
  interface ComponentKinds {
    neuron: SpikingNeuron;
    surrogate: Surrogate;
  }
}
export { parityReference, recordMembranes } from './record-membranes.js';
export type { MembraneRecord } from './record-membranes.js';
export { createNeuron, NEURON_ENTRIES } from './entries.js';
export { SURROGATE_ENTRIES } from './surrogate-entries.js';
