// Registers this package's encoders and decoders in the core registry (import for effect).
import { registerOnce } from '@hybridspike/core';
import { ENCODER_ENTRIES } from './entries.js';

for (const entry of ENCODER_ENTRIES) registerOnce(entry);
