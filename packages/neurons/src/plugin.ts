// Registers the neurons (`neuron:if|lif|plif`) and surrogates (`surrogate:*`) (import for effect).
import { registerOnce } from '@hybridspike/core';
import { NEURONS_PLUGIN_ENTRIES } from './entries.js';

for (const entry of NEURONS_PLUGIN_ENTRIES) registerOnce(entry);
