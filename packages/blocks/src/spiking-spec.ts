import { HybridSpikeError, type ComponentRef } from '@hybridspike/core';
import {
  BitPlaneDecoder,
  createDecoder,
  createEncoder,
  RateDecoder,
  type SpikeDecoder,
  type SpikeEncoder,
} from '@hybridspike/encoders';
import { createNeuron, type SpikingNeuron } from '@hybridspike/neurons';

/** How the SNN side of every block encodes, spikes and decodes. */
export interface SpikingSpec {
  encoder: SpikeEncoder;
  decoder: SpikeDecoder;
  /** Builds one neuron layer (called once per spiking layer). */
  neuron: () => SpikingNeuron;
}

/** Spiking options of blocks and models; components by object or by registry reference. */
export interface SpikingOptions {
  /** Default `{ name: 'bitplane' }` (8 planes, fourier surrogate). */
  encoder?: SpikeEncoder | ComponentRef | string;
  /** Default: the decoder matching the encoder (bit-plane weights for bit-plane, else rate). */
  decoder?: SpikeDecoder | ComponentRef | string;
  /** Default `{ name: 'lif' }` (tau 2, atan surrogate). */
  neuron?: ComponentRef | string;
}

function isObject<T>(v: unknown, method: string): v is T {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[method] === 'function';
}

/** Resolves {@link SpikingOptions} into live components. */
export function resolveSpiking(options: SpikingOptions = {}): SpikingSpec {
  const encoder = isObject<SpikeEncoder>(options.encoder, 'encode')
    ? options.encoder
    : createEncoder((options.encoder as ComponentRef | string | undefined) ?? 'bitplane');
  let decoder: SpikeDecoder;
  if (isObject<SpikeDecoder>(options.decoder, 'decode')) decoder = options.decoder;
  else if (options.decoder !== undefined) decoder = createDecoder(options.decoder as ComponentRef | string);
  else if (encoder.kind === 'bitplane') {
    const o = (encoder as SpikeEncoder & { options: { bits: number; order: 'msb' | 'lsb' } }).options;
    decoder = new BitPlaneDecoder({ bits: o.bits, order: o.order });
  } else decoder = new RateDecoder();
  const neuronRef = options.neuron ?? 'lif';
  const neuron = () => createNeuron(neuronRef);
  neuron(); // fail early on bad neuron options
  if (decoder.kind === 'bitplane') {
    const bits = (decoder as BitPlaneDecoder).options.bits;
    if (bits !== encoder.steps) {
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `bit-plane decoder expects ${bits} steps but the ${encoder.kind} encoder emits ${encoder.steps}; use the 'rate' decoder or matching bits.`,
      );
    }
  }
  return { encoder, decoder, neuron };
}
