import { spawn } from 'node:child_process';
import { availableParallelism, constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { OnnxCheckReport } from '@hybridspike/onnx/check';
import { HybridSpikeError } from '@hybridspike/core';
import { TrackingError, type Tracker } from '@hybridspike/tracking';
import { bestOf, groupTrials, runsByHash } from './aggregate.js';
import type { Workspace } from './context.js';
import {
  exportAndCheck,
  finishedRuns,
  loadTrialModel,
  runTrial,
  TAG,
  TrialRecord,
  type TrialOutcome,
} from './trial/index.js';
import type { LoadedSweep, Trial } from './sweep.js';

export interface SweepRunOptions {
  parallel?: number;
  force?: boolean;
  quiet?: boolean;
  signal?: AbortSignal;
}

/**
 * Exit code of `hybridspike trial` when another process holds the trial's lock (EX_TEMPFAIL):
 * not a failure, the trial is running elsewhere.
 */
export const TRIAL_LOCKED_EXIT = 75;

/** Copies `from` to `to` line by line, each line after `prefix`. */
export function prefixLines(from: Readable, to: Writable, prefix: string): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix}${line}\n`));
}

/**
 * Seconds a sweep has left: the mean wall time of the trials this process ran (finished ones
 * skipped cost nothing and are left out) times the trials still to go; null before any ran.
 */
export function etaSeconds(elapsed: number, ran: number, remaining: number): number | null {
  return ran > 0 ? (elapsed / ran) * remaining : null;
}

const clock = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
    : `${Math.max(1, Math.round(s / 60))} min`;

function runChild(
  file: string,
  index: number,
  ws: Workspace,
  force: boolean,
  threads: string,
  quiet: boolean,
  signal?: AbortSignal,
): Promise<number> {
  // The CLI's own launcher: it finds tsx (source checkout) or dist by itself, whatever runs us.
  const bin = fileURLToPath(new URL('../bin/hybridspike.mjs', import.meta.url));
  const args = [
    bin,
    'trial',
    file,
    '--index',
    String(index),
    '--root',
    ws.root,
    ...(quiet ? ['--quiet'] : []),
    ...(force ? ['--force'] : []),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HYBRIDSPIKE_THREADS: threads },
    });
    // Workers' lines interleave: each is labelled with its trial, so progress stays readable.
    prefixLines(child.stdout, process.stdout, `[trial ${index}] `);
    prefixLines(child.stderr, process.stderr, `[trial ${index}] `);
    // A signal sent to this process only (kill <pid>) must reach the trials it runs, so that
    // each stops after its batch and marks its run KILLED.
    const forward = () => child.kill(signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    signal?.addEventListener('abort', forward, { once: true });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', forward);
      resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0));
    });
  });
}

/**
 * Runs every trial of a sweep (skipping finished ones), locally in order or with `parallel`
 * child processes; a killed sweep run again continues where it stopped. Returns the outcomes.
 */
export async function runSweep(
  loaded: LoadedSweep,
  ws: Workspace,
  experimentId: string,
  plugins: Record<string, string>,
  o: SweepRunOptions = {},
): Promise<Map<number, TrialOutcome | 'failed' | 'skipped-by-signal' | 'running-elsewhere'>> {
  const out = new Map<number, TrialOutcome | 'failed' | 'skipped-by-signal' | 'running-elsewhere'>();
  const n = loaded.trials.length;
  const started = Date.now();
  const progress = (i: number) => {
    if (o.quiet) return;
    const done = out.size;
    const el = (Date.now() - started) / 1000;
    const ran = [...out.values()].filter((r) => typeof r === 'object' && !r.skipped).length;
    const eta = done < n ? etaSeconds(el, ran, n - done) : null;
    console.error(
      `[hybridspike] sweep ${loaded.sweep.name}: ${done}/${n} trials done after ${el.toFixed(0)} s (last: trial ${i})` +
        (eta === null ? '' : `, about ${clock(eta)} left`),
    );
  };
  if ((o.parallel ?? 1) > 1) {
    const queue = [...loaded.trials];
    // The cores shared out between the workers (each trial's kernels spin threads of their own:
    // 2 workers x 2 threads on 2 cores ran the main job 1.8x slower); HYBRIDSPIKE_THREADS wins.
    const threads =
      process.env.HYBRIDSPIKE_THREADS ||
      String(Math.max(1, Math.floor(availableParallelism() / o.parallel!)));
    const workers = Array.from({ length: Math.min(o.parallel!, n) }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        if (o.signal?.aborted) {
          out.set(t.index, 'skipped-by-signal');
          continue;
        }
        // A finished trial needs no process (and must not count as trained time in the ETA).
        const done = o.force ? [] : await finishedRuns(ws.tracker, experimentId, t.hash);
        if (done[0]) {
          out.set(t.index, {
            skipped: true,
            runId: done[0].info.runId,
            metrics: done[0].metrics,
            checkpointDir: '',
          });
          progress(t.index);
          continue;
        }
        const code = await runChild(
          loaded.file,
          t.index,
          ws,
          o.force ?? false,
          threads,
          o.quiet ?? false,
          o.signal,
        );
        const runs = await finishedRuns(ws.tracker, experimentId, t.hash);
        if (code === TRIAL_LOCKED_EXIT) out.set(t.index, 'running-elsewhere');
        else
          out.set(
            t.index,
            code === 0 && runs[0]
              ? { skipped: false, runId: runs[0].info.runId, metrics: runs[0].metrics, checkpointDir: '' }
              : 'failed',
          );
        progress(t.index);
      }
    });
    await Promise.all(workers);
    return out;
  }
  for (const t of loaded.trials) {
    if (o.signal?.aborted) {
      out.set(t.index, 'skipped-by-signal');
      continue;
    }
    try {
      out.set(
        t.index,
        await runTrial(t, {
          tracker: ws.tracker,
          experimentId,
          sweepName: loaded.sweep.name,
          runsDir: ws.runsDir,
          plugins,
          force: o.force,
          quiet: o.quiet,
          signal: o.signal,
        }),
      );
    } catch (e) {
      console.error(`[hybridspike] trial ${t.index} FAILED: ${(e as Error).message}`);
      out.set(t.index, 'failed');
    }
    progress(t.index);
  }
  return out;
}

/**
 * The sweep's best run (the configuration with the best mean of its metric, then its best run;
 * see {@link bestOf}), among one branch's configurations when `branch` is given. One search for
 * every trial's newest finished run, not one per trial.
 */
export async function findBestRun(
  tracker: Tracker,
  experimentId: string,
  loaded: LoadedSweep,
  branch?: string,
): Promise<ReturnType<typeof bestOf>> {
  const { finished } = runsByHash(await tracker.searchRuns([experimentId], { [TAG.kind]: 'trial' }));
  const groups = groupTrials(loaded, finished).filter((g) => !branch || g.branch === branch);
  return bestOf(groups, loaded.sweep.best.metric);
}

/**
 * Exports the best trial to ONNX and checks it in onnxruntime: the configuration with the best
 * mean of the sweep's metric over its seeds, and within it the run with the best value.
 */
export async function exportBest(
  loaded: LoadedSweep,
  ws: Workspace,
  experimentId: string,
): Promise<{ trial: Trial; runId: string; report: OnnxCheckReport; reused: boolean } | null> {
  const best = await findBestRun(ws.tracker, experimentId, loaded);
  if (!best) return null;
  const runId = best.run.info.runId;
  // Already exported and checked (a rerun of a finished sweep): report it, do not upload again.
  // If its report is gone (artifacts deleted by hand), export again from the weights below.
  if (best.run.tags['hybridspike.onnx_exported'] === 'true') {
    const report = await readParity(ws.tracker, runId);
    if (report) return { trial: best.trial, runId, report, reused: true };
  }
  let loadedModel: Awaited<ReturnType<typeof loadTrialModel>>;
  try {
    loadedModel = await loadTrialModel(TrialRecord.of(ws.tracker, runId), best.trial);
  } catch (e) {
    if (!(e instanceof TrackingError) || e.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    throw new HybridSpikeError(
      'TRACKING',
      `the best run ${runId} (trial ${best.trial.index}) has lost its artifacts (${e.message}), so it cannot be exported. Rerun that trial with 'hybridspike trial ${loaded.file} --index ${best.trial.index} --force', or delete the run in MLflow so that the next best is chosen.`,
      { cause: e },
    );
  }
  const { model, test } = loadedModel;
  try {
    const { report } = await exportAndCheck(
      TrialRecord.of(ws.tracker, runId),
      model,
      test,
      best.trial.config.export.checkSamples,
    );
    return { trial: best.trial, runId, report, reused: false };
  } finally {
    model.dispose();
  }
}

/** A run's recorded ONNX parity report, or null when the artifact is missing or unreadable. */
async function readParity(tracker: Tracker, runId: string): Promise<OnnxCheckReport | null> {
  try {
    const r = JSON.parse(new TextDecoder().decode(await tracker.readArtifact(runId, 'onnx-parity.json')));
    return r && typeof r === 'object' && typeof r.ok === 'boolean' ? (r as OnnxCheckReport) : null;
  } catch (e) {
    if (e instanceof SyntaxError || (e instanceof TrackingError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST'))
      return null;
    throw e;
  }
}
