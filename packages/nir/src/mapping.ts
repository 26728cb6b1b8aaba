// How our discrete-time neurons map to NIR's continuous-time ones, for a time step dt (forward
// Euler: v(t + dt) = v(t) + dt * dv/dt). See the package README for the equations.
import { HybridSpikeError } from '@hybridspike/core';
import { filled, type NirNode } from './graph.js';

/** What our neurons are, as the mapping needs them. */
export interface DiscreteNeuron {
  kind: 'if' | 'lif';
  /** Membrane time constant in steps (LIF; PLIF: the learnt one). */
  tau: number;
  vThreshold: number;
  /** null: soft reset. */
  vReset: number | null;
  decayInput: boolean;
}

/**
 * Our LIF with decay_input: `h = v + (x - (v - v_reset)) / tau` is NIR's LIF
 * `tau_n dv/dt = (v_leak - v) + r i` under one Euler step of dt with `tau_n = tau * dt`, `r = 1`,
 * `v_leak = v_reset`; without decay_input (`h = v - (v - v_reset) / tau + x`) `r = tau`. Our IF
 * `h = v + x` is NIR's IF `dv/dt = r i` with `r = 1 / dt`. Both reset to `v_reset` (hard reset);
 * a soft reset has no NIR primitive. Exact for the Euler step, but for the spike condition at a
 * tie: ours fires at `h >= v_threshold`, NIR's text says `v > v_threshold`.
 */
export function neuronToNir(n: DiscreteNeuron, shape: number[], dt: number, who: string): NirNode {
  if (n.vReset === null)
    throw new HybridSpikeError(
      'NOT_EXPORTABLE',
      `${who} uses a soft reset (vReset: null), which no NIR primitive describes (NIR neurons reset to v_reset); export a hard-reset model.`,
    );
  const types = { input_type: shape, output_type: shape };
  if (n.kind === 'if')
    return {
      type: 'IF',
      params: {
        r: filled(shape, 1 / dt),
        v_threshold: filled(shape, n.vThreshold),
        v_reset: filled(shape, n.vReset),
        ...types,
      },
    };
  return {
    type: 'LIF',
    params: {
      tau: filled(shape, n.tau * dt),
      r: filled(shape, n.decayInput ? 1 : n.tau),
      v_leak: filled(shape, n.vReset),
      v_threshold: filled(shape, n.vThreshold),
      v_reset: filled(shape, n.vReset),
      ...types,
    },
  };
}
