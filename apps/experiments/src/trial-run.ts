import type { RunInfo, Tracker } from '@hybridspike/tracking';
import { TrackingError } from '@hybridspike/tracking';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { CONFIG_HASH, SWEEP_NAME } from './config.js';

/** What a trial's checkpoint folder records about its tracking run. */
interface RunRecord {
  runId: string;
  trackingUri: string;
  experimentId: string;
}

const RUN_FILE = 'run.json';

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

function readRecord(dir: string): RunRecord | null {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

function writeRecord(dir: string, rec: RunRecord): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${RUN_FILE}.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(rec, null, 2));
  renameSync(tmp, join(dir, RUN_FILE));
}

/**
 * The one tracking run of a trial, whatever happened before: the run recorded beside the
 * checkpoint is reopened (RUNNING again) when it still exists, is not deleted and did not finish,
 * so a rerun after a kill continues its metric history; otherwise any checkpoint left behind
 * belongs to nothing and is removed, and a new run is created and recorded.
 */
export async function openTrialRun(
  tracker: Tracker,
  experimentId: string,
  checkpointDir: string,
  create: () => Promise<RunInfo>,
): Promise<{ runId: string; resumed: boolean }> {
  const rec = readRecord(checkpointDir);
  if (rec && rec.trackingUri === tracker.uri && rec.experimentId === experimentId) {
    try {
      const run = await tracker.getRun(rec.runId);
      if (run.info.lifecycleStage !== 'deleted' && run.info.status !== 'FINISHED') {
        await tracker.reopenRun(rec.runId);
        return { runId: rec.runId, resumed: true };
      }
    } catch (e) {
      if (!(e instanceof TrackingError) || e.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
  }
  if (existsSync(checkpointDir)) rmSync(checkpointDir, { recursive: true, force: true });
  const run = await create();
  writeRecord(checkpointDir, { runId: run.runId, trackingUri: tracker.uri, experimentId });
  return { runId: run.runId, resumed: false };
}
