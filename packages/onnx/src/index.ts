export { exportOnnx, exportOnnxDetailed, EXPORTER_VERSION } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { decodeModel, encodeModel } from './proto.js';
