import { FileStore } from './file-store.js';
import { RestStore, type RestOptions } from './rest-store.js';
import type { Tracker } from './types.js';

export { FileStore } from './file-store.js';
export { RestStore } from './rest-store.js';
export type { RestOptions } from './rest-store.js';
export {
  TrackingError,
  MLFLOW_LIMITS,
  STATUS_CODES,
  STATUS_NAMES,
  checkRunId,
  checkExperimentId,
} from './types.js';
export type { FileStoreOptions } from './file-store.js';
export { closeRun } from './close-run.js';
export type { CloseRunOptions } from './close-run.js';
export type { Tracker, Run, RunInfo, RunStatus, Metric } from './types.js';

/**
 * The tracker for `uri` (default `MLFLOW_TRACKING_URI`, else `./mlruns`): http(s) URIs use the
 * MLflow REST API, anything else (a path or file: URI) the local FileStore.
 */
export function createTracker(options: { uri?: string; rest?: RestOptions } = {}): Tracker {
  const uri = options.uri ?? process.env.MLFLOW_TRACKING_URI ?? './mlruns';
  if (/^https?:\/\//.test(uri)) return new RestStore(uri, options.rest);
  return new FileStore(uri);
}
export { MetricQueue } from './metric-queue.js';
export type { MetricQueueOptions } from './metric-queue.js';
export { restOptionsFromEnv, redactUri } from './rest-env.js';
export type { RestEnvOptions } from './rest-env.js';
