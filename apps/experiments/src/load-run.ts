import type { HybridModel } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import type { Trial } from './sweep.js';
import { workspace, type Workspace } from './context.js';
import { invokingDir } from './paths.js';
import { loadPlugins } from './plugins.js';
import { allowedRecordPlugins, readRunRecord } from './run-record.js';
import { loadTrialModel, TrialRecord } from './trial/index.js';

/** Where {@link loadRun} reads, and what a run's record may load. */
export interface LoadRunOptions {
  /** The folder holding `mlruns/` (default: the current directory); `MLFLOW_TRACKING_URI` wins. */
  root?: string;
  /**
   * Plugin packages the run's record may import (a record never loads code unless named here; see
   * SECURITY.md). Default: none.
   */
  plugins?: string[];
}

/** A finished run's trial, read from its checked record, with the plugins the user allowed loaded. */
export async function trialOfRun(
  runId: string,
  root: string,
  allowed: string[],
): Promise<{ ws: Workspace; trial: Trial }> {
  const ws = workspace(root);
  const run = await ws.tracker.getRun(runId);
  const { trial } = await readRunRecord(ws.tracker, runId);
  await loadPlugins(allowedRecordPlugins(run, allowed), invokingDir(), { projectOnly: true });
  return { ws, trial };
}

/**
 * Loads a finished run's model (its logged weights, in eval mode) and its test set, as the sweep
 * built them. The run's record is checked first, like the CLI's `eval` and `export` do.
 *
 * @example
 * ```ts
 * import { evaluate } from '@hybridspike/trainer';
 * const { model, test } = await loadRun('dbcab2e1a7e74a43be169a39fdbb223f', { root: 'my-project' });
 * console.log(evaluate(model, test).accuracy);
 * ```
 */
export async function loadRun(
  runId: string,
  options: LoadRunOptions = {},
): Promise<{ model: HybridModel; test: Dataset; trial: Trial }> {
  const { ws, trial } = await trialOfRun(runId, options.root ?? '.', options.plugins ?? []);
  const { model, test } = await loadTrialModel(TrialRecord.of(ws.tracker, runId), trial);
  return { model, test, trial };
}
