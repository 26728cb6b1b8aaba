// Internals for sibling packages (the ONNX lowering of the charge) and tests/benches: the fused
// time loop and the unfused autodiff reference. Not part of the stable API.
export {
  neuronForward,
  neuronBackward,
  neuronForwardJs,
  neuronBackwardJs,
  chargeCoefficients,
} from './dynamics.js';
export { lifKernel } from './simd/lif-copy.js';
export type { NeuronDynamics, ForwardResult, BackwardResult, BackwardInput } from './dynamics.js';
export { unfusedNeuron, spikeFn, detach } from './reference.js';
