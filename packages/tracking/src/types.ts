import { userInfo } from 'node:os';
/** MLflow run status (the REST API's names; the FileStore stores 1/3/4/5). */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** One value of a metric at a step, as MLflow stores it. */
export interface Metric {
  key: string;
  value: number;
  step: number;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

/** A run's identity and lifecycle, as MLflow's `RunInfo`. */
export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  /** MLflow's lifecycle stage: `deleted` runs are in the trash (mlflow gc removes them). */
  lifecycleStage: 'active' | 'deleted';
}

/** A run with its data: params, latest metrics and tags. */
export interface Run {
  info: RunInfo;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

/** What every tracking store does; the FileStore and REST clients implement it. */
export interface Tracker {
  /** Where runs go (a folder or a server URL). */
  readonly uri: string;
  /** The id of the experiment called `name`, created when there is none (safe to race). */
  getOrCreateExperiment(name: string): Promise<string>;
  /** Starts a RUNNING run in an experiment; a retried create never makes two runs. */
  createRun(
    experimentId: string,
    options?: { runName?: string; tags?: Record<string, string>; startTime?: number },
  ): Promise<RunInfo>;
  /** Logs parameters (stringified; MLflow refuses changing a logged value). */
  logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void>;
  /** Logs metric values, in batches of MLflow's size limits. */
  logMetrics(runId: string, metrics: Metric[]): Promise<void>;
  /** Sets tags (overwrites a tag's earlier value). */
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
  /** Copies a local file into the run's artifacts under `artifactPath` (a relative folder). */
  logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  /** Writes bytes as an artifact file. */
  logArtifactBytes(runId: string, relativePath: string, data: Uint8Array | string): Promise<void>;
  /** Reads an artifact file back. */
  readArtifact(runId: string, relativePath: string): Promise<Uint8Array>;
  /** Ends a run with a status (default FINISHED) and end time (default now). */
  endRun(runId: string, status?: RunStatus, endTime?: number): Promise<void>;
  /** Sets a run back to RUNNING (no end time) to log to it again: a resumed trial keeps its run. */
  reopenRun(runId: string): Promise<void>;
  /** A run with its params, latest metrics and tags. */
  getRun(runId: string): Promise<Run>;
  /** Runs of experiments whose tags equal every given `tags` entry. */
  searchRuns(experimentIds: string[], tags?: Record<string, string>): Promise<Run[]>;
  /** Every logged value of one metric of a run, in logging order. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
}

/** The FileStore's numbers for each run status (MLflow's `RunStatus` enum). */
export const STATUS_CODES: Record<RunStatus, number> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/** The run status for each of the FileStore's numbers. */
export const STATUS_NAMES: Record<number, RunStatus> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

/** MLflow's limits (log-batch and value sizes). */
export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsAndTagsPerBatch: 100,
  entitiesPerBatch: 1000,
  paramValueLength: 6000,
  tagValueLength: 8000,
};

/** An error from a tracking store, with MLflow's error code when the server sent one. */
export class TrackingError extends Error {
  override readonly name = 'TrackingError';
  constructor(
    message: string,
    readonly errorCode?: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** MLflow steps and timestamps are int64: a fractional or non-finite one breaks its readers. */
export function checkMetric(m: Metric): void {
  if (typeof m.value !== 'number')
    throw new TrackingError(
      `metric '${m.key}' must be a number, got ${typeof m.value}.`,
      'INVALID_PARAMETER_VALUE',
    );
  if (!Number.isSafeInteger(m.step))
    throw new TrackingError(
      `metric '${m.key}' has step ${m.step}; MLflow steps are integers.`,
      'INVALID_PARAMETER_VALUE',
    );
  if (m.timestamp !== undefined && !Number.isSafeInteger(m.timestamp)) {
    throw new TrackingError(
      `metric '${m.key}' has timestamp ${m.timestamp}; MLflow timestamps are integer milliseconds.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

/** The local user name for `mlflow.user` (MLflow's default), or 'unknown' where none is set. */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** MLflow's run id rule (`mlflow/utils/validation.py`, `_RUN_ID_REGEX`): no separators, no dots. */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/**
 * Throws unless `runId` is a well-formed MLflow run id. Run ids come from the command line and
 * from run records that anyone with access to the store can write: checked before they touch a
 * path or a URL.
 */
export function checkRunId(runId: string): void {
  if (typeof runId !== 'string' || !RUN_ID.test(runId))
    throw new TrackingError(
      `'${String(runId).slice(0, 80)}' is not a run id (MLflow run ids are letters, digits, '_' and '-', e.g. 0f3c...); copy it from the MLflow UI or the trial's output.`,
      'INVALID_PARAMETER_VALUE',
    );
}

/** Throws unless `id` is a FileStore experiment id (a decimal number, as MLflow makes them). */
export function checkExperimentId(id: string): void {
  if (typeof id !== 'string' || !/^\d{1,32}$/.test(id))
    throw new TrackingError(
      `'${String(id).slice(0, 80)}' is not an experiment id of a local store (decimal digits only).`,
      'INVALID_PARAMETER_VALUE',
    );
}
