import type { Tracker } from '@hybridspike/tracking';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative } from 'node:path';
import { CONFIG_HASH, SWEEP_NAME } from '../config.js';
import type { Trial } from '../sweep.js';
import { lockTrial, type LockOwner } from './lock.js';
import { runLockedTrial } from './pipeline.js';
import { finishedRuns } from './record.js';

export interface TrialContext {
  tracker: Tracker;
  experimentId: string;
  sweepName: string;
  /** Root of the checkpoints: `<runsDir>/<sweep>/<store key>/<config hash>/` (see trialCheckpointDir). */
  runsDir: string;
  plugins: Record<string, string>;
  force?: boolean;
  quiet?: boolean;
  signal?: AbortSignal;
  extraTags?: Record<string, string>;
  /**
   * How long metrics logged during training may wait for an unreachable tracking server at the
   * end of training, in ms (default 5 minutes): an outage never stops training.
   */
  logFlushMs?: number;
}

export interface TrialOutcome {
  skipped: boolean;
  /** Set when the trial was skipped because another process holds its lock. */
  lockedBy?: LockOwner;
  runId: string;
  metrics: Record<string, number>;
  checkpointDir: string;
}

/**
 * A trial's checkpoint folder, keyed by tracking store and experiment as well as config hash:
 * the same trial logged to another store (or experiment) starts fresh instead of resuming
 * epochs whose metrics that store never saw.
 */
export function trialCheckpointDir(
  runsDir: string,
  sweep: string,
  trackerUri: string,
  experimentId: string,
  hash: string,
): string {
  // Both names come from sweep files or run records: checked, so the folder (which --force and
  // reproduce clear) can only ever be one inside runsDir.
  if (!SWEEP_NAME.test(sweep) || !CONFIG_HASH.test(hash))
    throw new Error(
      `refusing checkpoint folder for sweep '${sweep}', hash '${hash}': not a sweep name and config hash.`,
    );
  const store = createHash('sha256').update(`${trackerUri}\n${experimentId}`).digest('hex').slice(0, 10);
  const dir = join(runsDir, sweep, store, hash);
  const rel = relative(runsDir, dir);
  if (!rel || rel.startsWith('..') || isAbsolute(rel))
    throw new Error(`checkpoint folder ${dir} leaves ${runsDir}.`);
  return dir;
}

/**
 * Runs one trial end to end and logs it (see {@link runLockedTrial}), unless its config hash has
 * a FINISHED run (skipped unless `force`) or another process holds its lock (skipped, owner
 * named). An interrupted trial resumes from its checkpoint into the same run.
 */
export async function runTrial(trial: Trial, ctx: TrialContext): Promise<TrialOutcome> {
  const checkpointDir = trialCheckpointDir(
    ctx.runsDir,
    ctx.sweepName,
    ctx.tracker.uri,
    ctx.experimentId,
    trial.hash,
  );
  const skipIfFinished = async (): Promise<TrialOutcome | null> => {
    if (ctx.force) return null;
    const done = await finishedRuns(ctx.tracker, ctx.experimentId, trial.hash);
    if (!done.length) return null;
    if (!ctx.quiet)
      console.error(
        `[hybridspike] trial ${trial.index} (${trial.hash}) already FINISHED as run ${done[0]!.info.runId}; skipped (--force reruns it).`,
      );
    return { skipped: true, runId: done[0]!.info.runId, metrics: done[0]!.metrics, checkpointDir };
  };
  const finished = await skipIfFinished();
  if (finished) return finished;
  const lock = lockTrial(`${checkpointDir}.lock`);
  if (!lock.acquired) {
    const o = lock.owner;
    console.error(
      `[hybridspike] trial ${trial.index} (${trial.hash}) is running in pid ${o.pid} on ${o.host} since ${o.startedAt}; skipped (delete ${checkpointDir}.lock if that process is gone).`,
    );
    return { skipped: true, runId: '', metrics: {}, checkpointDir, lockedBy: o };
  }
  try {
    // Another process may have finished it while we waited for the lock.
    return (await skipIfFinished()) ?? (await runLockedTrial(trial, ctx, checkpointDir));
  } finally {
    lock.release();
  }
}
