// The trial pipeline: lifecycle (skip, lock, open or reopen the run) -> pipeline (build, fit,
// measure, export) -> record (the one file that talks to the tracker).
export { runTrial, trialCheckpointDir } from './lifecycle.js';
export type { TrialContext, TrialOutcome } from './lifecycle.js';
export { exportAndCheck, exportChecked, loadTrialModel } from './export.js';
export { finishedRuns, SOURCE_TAGS, TAG, TrialRecord } from './record.js';
export { lockTrial } from './lock.js';
export type { LockOwner } from './lock.js';
