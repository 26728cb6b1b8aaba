export { fit } from './fit.js';
export type { FitOptions, FitResult, EpochLog, BatchLog, RngHolder } from './fit.js';
export { CallbackList } from './callbacks.js';
export type { Callback, FitState } from './callbacks.js';
export { checkpoints, earlyStopping, progress, validation } from './fit-callbacks.js';
export { evaluate } from './evaluate.js';
export type { EvaluateResult } from './evaluate.js';
export { Adam, AdamW, SGD, adamOptions, sgdOptions } from './optimizers.js';
export type { Optimizer, OptimizerState } from './optimizers.js';
export { constant, stepDecay, warmupCosine, makeSchedule, scheduleOptions } from './schedules.js';
export type { Schedule, ScheduleConfig } from './schedules.js';
export { batchMetrics, crossEntropy } from './metrics.js';
export {
  writeTrainingCheckpoint,
  readTrainingCheckpoint,
  latestCheckpoint,
  bestCheckpointPath,
  loadBestWeights,
  CHECKPOINT_FILES,
} from './checkpoint.js';
export type { TrainerState } from './checkpoint.js';
