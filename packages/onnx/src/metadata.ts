// Browser-safe entry (`@hybridspike/onnx/metadata`): reads what the exporter wrote into a model
// without tfjs, onnxruntime or the exporter itself.
export { readOnnxMetadata } from './proto.js';
export { SPIKE_OUTPUTS_KEY } from './export-keys.js';
