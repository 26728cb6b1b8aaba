// Registers the neurons (`neuron:if|lif|plif`); the surrogates register with the neuron module.
import { registerOnce } from '@hybridspike/core';
import { IF, LIF, PLIF } from './neuron.js';
import { neuronOptions } from './options.js';

registerOnce({
  kind: 'neuron',
  name: 'lif',
  options: neuronOptions,
  create: (o) => new LIF(o as never),
  description: 'leaky integrate-and-fire',
});
registerOnce({
  kind: 'neuron',
  name: 'if',
  options: neuronOptions,
  create: (o) => new IF(o as never),
  description: 'integrate-and-fire',
});
registerOnce({
  kind: 'neuron',
  name: 'plif',
  options: neuronOptions,
  create: (o) => new PLIF(o as never),
  description: 'LIF with learnable tau',
});
