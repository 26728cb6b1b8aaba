export { exportOnnx, exportOnnxDetailed, EXPORTER_VERSION } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { decodeModel, encodeModel } from './proto.js';
export { readOnnxMetadata } from './proto.js';
export { SPIKE_OUTPUTS_KEY } from './export-keys.js';
export { predictOnnx } from './predict.js';
export type { Prediction, OrtLike } from './predict.js';
