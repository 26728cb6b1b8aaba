import { initRuntime, serializeModule } from '@hybridspike/core';
import type { HybridModel } from '@hybridspike/blocks';
import type { Dataset } from '@hybridspike/data';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import { checkOnnx, type OnnxCheckReport } from '@hybridspike/onnx/check';
import { closeRun, MetricQueue, type Metric, type Tracker } from '@hybridspike/tracking';
import { fit, type EpochLog } from '@hybridspike/trainer';
import { rmSync } from 'node:fs';
import { buildData, buildModel, buildOptimizer, firstImages, type TrialData } from './build.js';
import { measureTrial, type TrialMeasures } from './trial-measure.js';
import { lockTrial, type LockOwner } from './trial-lock.js';
import { openTrialRun, trialCheckpointDir } from './trial-run.js';
import { flatten } from './config.js';
import { rasterChart, renderSvg } from './plots.js';
import { gitSha, packageVersions } from './provenance.js';
import type { Trial } from './sweep.js';

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

const TAG = {
  sweep: 'hybridspike.sweep',
  index: 'hybridspike.trial_index',
  hash: 'hybridspike.config_hash',
  seed: 'hybridspike.seed',
  backend: 'hybridspike.backend',
  threads: 'hybridspike.threads',
  kernels: 'hybridspike.kernels',
  node: 'hybridspike.node',
  versions: 'hybridspike.versions',
  plugins: 'hybridspike.plugins',
  git: 'hybridspike.git_sha',
  overrides: 'hybridspike.overrides',
  kind: 'hybridspike.kind',
} as const;
export { TAG };

/** MLflow's standard source tags (the UI's Source column) for every run this app creates. */
export const SOURCE_TAGS = { 'mlflow.source.name': 'hybridspike', 'mlflow.source.type': 'LOCAL' } as const;

/** Finished runs of a config hash in an experiment (newest first). */
export async function finishedRuns(tracker: Tracker, experimentId: string, hash: string) {
  return (await tracker.searchRuns([experimentId], { [TAG.hash]: hash, [TAG.kind]: 'trial' })).filter(
    (r) => r.info.status === 'FINISHED' && r.info.lifecycleStage !== 'deleted',
  );
}

/** Exports `model` to ONNX and checks it in onnxruntime on the first `samples` test images. */
export async function exportChecked(
  model: HybridModel,
  test: Dataset,
  samples: number,
): Promise<{ bytes: Uint8Array; report: OnnxCheckReport }> {
  const inputShape: [number, number, number] = [test.channels, test.height, test.width];
  const x = firstImages(test, samples);
  try {
    const debug = exportOnnxDetailed(model, { inputShape, debugSpikes: true });
    const report = await checkOnnx(debug.bytes, model, x, { spikeOutputs: debug.spikeOutputs });
    return { bytes: exportOnnxDetailed(model, { inputShape }).bytes, report };
  } finally {
    x.dispose();
  }
}

/**
 * Exports `model` to ONNX, checks it in onnxruntime on `samples` test images, calls `beforeLog`
 * (e.g. to write the file where the user asked: a failure there records nothing), then records
 * the export in the run: `model.onnx`, `onnx-parity.json` and parity tags. Tags, not metrics, so
 * that a re-export replaces the figures instead of piling up points (and metric comparisons such
 * as `reproduce` see training metrics only).
 */
export async function exportAndCheck(
  tracker: Tracker,
  runId: string,
  model: HybridModel,
  test: Dataset,
  samples: number,
  beforeLog?: (bytes: Uint8Array) => void | Promise<void>,
): Promise<{ bytes: Uint8Array; report: OnnxCheckReport }> {
  const { bytes, report } = await exportChecked(model, test, samples);
  await beforeLog?.(bytes);
  await tracker.logArtifactBytes(runId, 'model.onnx', bytes);
  await tracker.logArtifactBytes(runId, 'onnx-parity.json', JSON.stringify(report, null, 2));
  await tracker.setTags(runId, {
    'hybridspike.onnx_parity': report.ok ? 'ok' : 'FAILED',
    'hybridspike.onnx_exported': 'true',
    'hybridspike.onnx_max_abs_diff': String(report.maxAbsDiff),
    'hybridspike.onnx_argmax_agreement': String(report.argmaxAgreement),
    'hybridspike.onnx_spike_mismatches': String(report.spikeMismatches),
    'hybridspike.onnx_samples': String(report.samples),
  });
  return { bytes, report };
}

/** The metrics of one epoch, at step = epoch number. */
function epochMetrics(e: EpochLog): Metric[] {
  const m: Metric[] = [
    { key: 'loss', value: e.loss, step: e.epoch },
    { key: 'accuracy', value: e.accuracy, step: e.epoch },
    { key: 'lr', value: e.lr, step: e.epoch },
    { key: 'images_per_second', value: e.imagesPerSecond, step: e.epoch },
  ];
  if (e.valLoss !== undefined)
    m.push(
      { key: 'val_loss', value: e.valLoss, step: e.epoch },
      { key: 'val_accuracy', value: e.valAccuracy!, step: e.epoch },
      { key: 'val_top5', value: e.valTop5!, step: e.epoch },
    );
  return m;
}

/**
 * Runs one trial end to end and logs it: params (flattened config), per-epoch metrics, tags
 * (git sha, package versions, backend, seed, config hash, sweep, index), artifacts (config,
 * checkpoint, op counts, spike raster, ONNX + parity when asked). A trial whose config hash has a
 * FINISHED run is skipped unless `force`; an interrupted one resumes from its checkpoint.
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

/** {@link runTrial} once the trial's lock is held. */
async function runLockedTrial(trial: Trial, ctx: TrialContext, checkpointDir: string): Promise<TrialOutcome> {
  // --force reruns from scratch: a stale or corrupt checkpoint must not block or seed the rerun.
  if (ctx.force) rmSync(checkpointDir, { recursive: true, force: true });
  const { backend, threads, kernels } = await initRuntime();
  const c = trial.config;
  // build
  const data = buildData(c);
  const model = buildModel(c, data.train);
  const { optimizer, schedule } = buildOptimizer(c);
  const tags = trialTags(trial, ctx, { backend, threads, kernels });
  const opened = await openTrialRun(ctx.tracker, ctx.experimentId, checkpointDir, () =>
    ctx.tracker.createRun(ctx.experimentId, { runName: `${ctx.sweepName}-${trial.index}`, tags }),
  );
  const runId = opened.runId;
  if (opened.resumed) await ctx.tracker.setTags(runId, tags);
  const log = async (ms: Metric[]) => ctx.tracker.logMetrics(runId, ms);
  let closing = false;
  // Epoch metrics go through a queue that never rejects: a server outage during training is
  // ridden out (and retried) instead of killing the process with an unhandled rejection.
  const queue = new MetricQueue(ctx.tracker, runId);
  try {
    await recordStart(ctx, runId, trial, model, data);
    if (!ctx.quiet)
      console.error(
        `[hybridspike] trial ${trial.index} (${JSON.stringify(trial.overrides)}) run ${runId}: ${model.parameterCount()} params, ${data.train.count} train / ${data.validation?.count ?? 0} validation / ${data.test.count} test, backend ${backend} (${threads} thread${threads > 1 ? 's' : ''}), kernels ${kernels}`,
      );
    // train
    const result = await fit(model, {
      train: data.train,
      validation: data.validation ?? undefined,
      // Model selection on the validation set only; the test set is evaluated once, below.
      restoreBest: data.validation !== null,
      epochs: c.train.epochs,
      batchSize: c.train.batchSize,
      optimizer,
      schedule,
      seed: c.seed,
      normalize: data.normalize,
      checkpointDir,
      resume: true,
      signal: ctx.signal,
      progress: ctx.quiet ? 'quiet' : 'auto',
      callbacks: {
        // Epochs the checkpoint restored whose metrics never reached the run (killed between the
        // checkpoint and the log): log them now, so the run's history has every epoch once.
        onResume: async (restored) => {
          const have = new Set((await ctx.tracker.getMetricHistory(runId, 'loss')).map((m) => m.step));
          const missing = restored.filter((e) => !have.has(e.epoch));
          if (missing.length) await log(missing.flatMap(epochMetrics));
        },
        onEpochEnd: (e: EpochLog) => queue.add(epochMetrics(e)),
      },
    });
    await queue.flush(ctx.logFlushMs);
    if (result.interrupted) {
      await closeRun(ctx.tracker, runId, 'KILLED');
      return { skipped: false, runId, metrics: {}, checkpointDir };
    }
    // measure, record, export
    const measured = measureTrial(model, data, c, result);
    await recordMeasures(ctx, runId, trial, model, measured);
    if (c.export.onnx) await exportAndCheck(ctx.tracker, runId, model, data.test, c.export.checkSamples);
    closing = true;
    await closeRun(ctx.tracker, runId, 'FINISHED');
    if (!ctx.quiet)
      console.error(
        `[hybridspike] trial ${trial.index} done: test accuracy ${(100 * measured.metrics.test_accuracy!).toFixed(2)}%, ${(measured.ops.energyPicojoules / 1e6).toFixed(2)} uJ/inference`,
      );
    return { skipped: false, runId, metrics: measured.metrics, checkpointDir };
  } catch (e) {
    await queue.flush(0).catch(() => undefined);
    // Closing FINISHED failed: the trial's work is done and logged; do not turn it into FAILED.
    if (closing) throw e;
    try {
      await closeRun(ctx.tracker, runId, 'FAILED', {
        tags: { 'hybridspike.error': String((e as Error).message).slice(0, 4000) },
      });
    } catch (closeError) {
      console.error(`[hybridspike] ${(closeError as Error).message}`);
    }
    throw e;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** The tags every trial run carries (provenance, identity, MLflow's source tags). */
function trialTags(
  trial: Trial,
  ctx: TrialContext,
  runtime: { backend: string; threads: number; kernels: string },
): Record<string, string> {
  const { backend, threads, kernels } = runtime;
  const sha = gitSha();
  return {
    [TAG.sweep]: ctx.sweepName,
    [TAG.index]: String(trial.index),
    [TAG.hash]: trial.hash,
    [TAG.seed]: String(trial.config.seed),
    [TAG.backend]: backend,
    [TAG.threads]: String(threads),
    [TAG.kernels]: kernels,
    [TAG.node]: process.version,
    [TAG.versions]: JSON.stringify(packageVersions()),
    [TAG.plugins]: JSON.stringify(ctx.plugins),
    [TAG.overrides]: JSON.stringify(trial.overrides),
    [TAG.kind]: 'trial',
    ...SOURCE_TAGS,
    ...(sha ? { [TAG.git]: sha, 'mlflow.source.git.commit': sha.replace(/-dirty$/, '') } : {}),
    ...ctx.extraTags,
  };
}

/** Record step, before training: params (flattened config, sizes) and the config artifact. */
async function recordStart(
  ctx: TrialContext,
  runId: string,
  trial: Trial,
  model: HybridModel,
  data: TrialData,
): Promise<void> {
  await ctx.tracker.logParams(runId, {
    ...flatten(trial.config),
    parameter_count: model.parameterCount(),
    train_samples: data.train.count,
    validation_samples: data.validation?.count ?? 0,
    test_samples: data.test.count,
  });
  const record = {
    config: trial.config,
    overrides: trial.overrides,
    hash: trial.hash,
    sweep: ctx.sweepName,
    index: trial.index,
  };
  await ctx.tracker.logArtifactBytes(runId, 'config.json', JSON.stringify(record, null, 2));
}

/** Record step, after training: final metrics, op counts, the raster and the weights. */
async function recordMeasures(
  ctx: TrialContext,
  runId: string,
  trial: Trial,
  model: HybridModel,
  m: TrialMeasures,
): Promise<void> {
  const step = trial.config.train.epochs;
  await ctx.tracker.logMetrics(
    runId,
    Object.entries(m.metrics).map(([key, value]) => ({ key, value, step })),
  );
  await ctx.tracker.logArtifactBytes(runId, 'ops.json', JSON.stringify(m.ops, null, 2));
  if (m.raster.points.length) {
    const title = `spikes of one test sample (${ctx.sweepName} trial ${trial.index})`;
    await ctx.tracker.logArtifactBytes(
      runId,
      'raster.svg',
      await renderSvg(rasterChart(m.raster.points, title, m.raster.steps)),
    );
  }
  await ctx.tracker.logArtifactBytes(
    runId,
    'model.safetensors',
    serializeModule(model, { config_hash: trial.hash }),
  );
}

/** Rebuilds a finished trial's model from its logged weights (for export of the best model). */
export async function loadTrialModel(
  tracker: Tracker,
  runId: string,
  trial: Trial,
): Promise<{ model: HybridModel; test: Dataset }> {
  const { deserializeModule } = await import('@hybridspike/core');
  await initRuntime();
  const data = buildData(trial.config);
  const model = buildModel(trial.config, data.train);
  deserializeModule(model, await tracker.readArtifact(runId, 'model.safetensors'));
  model.eval();
  return { model, test: data.test };
}
