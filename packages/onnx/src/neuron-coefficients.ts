import type { SpikingNeuron } from '@hybridspike/neurons';
import { chargeCoefficients } from '@hybridspike/neurons/internal';

export type { SpikingNeuron };

/** The charge coefficients and thresholds of a neuron as the fused kernel uses them now. */
export function chargeCoefficientsOf(n: SpikingNeuron): {
  a: number;
  b: number;
  c: number;
  vThreshold: number;
  vReset: number | null;
} {
  const d = n.dynamics();
  return { ...chargeCoefficients(d), vThreshold: d.vThreshold, vReset: d.vReset };
}
