import { initRuntime, serializeModule } from '@hybridspike/core';
import { fit } from '@hybridspike/trainer';
import { rmSync } from 'node:fs';
import { buildData, buildModel, buildOptimizer } from '../build.js';
import { flatten } from '../config.js';
import { rasterChart, renderSvg } from '../plots.js';
import type { Trial } from '../sweep.js';
import { exportChecked } from './export.js';
import type { TrialContext, TrialOutcome } from './lifecycle.js';
import { measureTrial } from './measure.js';
import { TrialRecord, trialTags } from './record.js';

/** Built parts of a trial. */
interface Built {
  data: ReturnType<typeof buildData>;
  model: ReturnType<typeof buildModel>;
  optimizer: ReturnType<typeof buildOptimizer>['optimizer'];
  schedule: ReturnType<typeof buildOptimizer>['schedule'];
}

/** The fit phase: resumable training with model selection on the validation set, epochs logged. */
function fitTrial(trial: Trial, ctx: TrialContext, checkpointDir: string, b: Built, record: TrialRecord) {
  const c = trial.config;
  return fit(b.model, {
    train: b.data.train,
    validation: b.data.validation ?? undefined,
    // Model selection on the validation set only; the test set is evaluated once, after.
    restoreBest: b.data.validation !== null,
    epochs: c.train.epochs,
    batchSize: c.train.batchSize,
    optimizer: b.optimizer,
    schedule: b.schedule,
    seed: c.seed,
    normalize: b.data.normalize,
    checkpointDir,
    resume: true,
    signal: ctx.signal,
    progress: ctx.quiet ? 'quiet' : 'auto',
    callbacks: record.epochs(),
  });
}

/** The measure phase: test set, op counts, raster and weights, recorded in one call. */
async function measureAndRecord(
  trial: Trial,
  ctx: TrialContext,
  model: Built['model'],
  data: Built['data'],
  result: Awaited<ReturnType<typeof fit>>,
  record: TrialRecord,
) {
  const m = measureTrial(model, data, trial.config, result);
  const title = `spikes of one test sample (${ctx.sweepName} trial ${trial.index})`;
  const raster: Record<string, string> = m.raster.points.length
    ? { 'raster.svg': await renderSvg(rasterChart(m.raster.points, title, m.raster.steps)) }
    : {};
  await record.measures(trial.config.train.epochs, m.metrics, {
    'ops.json': JSON.stringify(m.ops, null, 2),
    ...raster,
    'model.safetensors': serializeModule(model, { config_hash: trial.hash }),
  });
  return m;
}

/**
 * One trial once its lock is held: build -> fit -> measure -> export -> record, with one call to
 * the run's {@link TrialRecord} per phase. A failure closes the run FAILED with its error; an
 * abort closes it KILLED (the checkpoint stays, and a rerun continues the same run).
 */
export async function runLockedTrial(
  trial: Trial,
  ctx: TrialContext,
  checkpointDir: string,
): Promise<TrialOutcome> {
  // --force reruns from scratch: a stale or corrupt checkpoint must not block or seed the rerun.
  if (ctx.force) rmSync(checkpointDir, { recursive: true, force: true });
  const runtime = await initRuntime();
  const c = trial.config;
  // build
  const data = buildData(c);
  const model = buildModel(c, data.train);
  const { optimizer, schedule } = buildOptimizer(c);
  const tags = trialTags({
    trial,
    sweepName: ctx.sweepName,
    plugins: ctx.plugins,
    runtime,
    extraTags: ctx.extraTags,
  });
  const record = await TrialRecord.open(ctx.tracker, ctx.experimentId, checkpointDir, {
    name: `${ctx.sweepName}-${trial.index}`,
    tags,
  });
  const runId = record.runId;
  let closing = false;
  try {
    await record.start(
      {
        ...flatten(c),
        parameter_count: model.parameterCount(),
        train_samples: data.train.count,
        validation_samples: data.validation?.count ?? 0,
        test_samples: data.test.count,
      },
      { config: c, overrides: trial.overrides, hash: trial.hash, sweep: ctx.sweepName, index: trial.index },
    );
    if (!ctx.quiet)
      console.error(
        `[hybridspike] trial ${trial.index} (${JSON.stringify(trial.overrides)}) run ${runId}: ${model.parameterCount()} params, ${data.train.count} train / ${data.validation?.count ?? 0} validation / ${data.test.count} test, backend ${runtime.backend} (${runtime.threads} thread${runtime.threads > 1 ? 's' : ''}), kernels ${runtime.kernels}`,
      );
    // fit
    const result = await fitTrial(trial, ctx, checkpointDir, { data, model, optimizer, schedule }, record);
    await record.flushEpochs(ctx.logFlushMs);
    if (result.interrupted) {
      await record.close('KILLED');
      return { skipped: false, runId, metrics: {}, checkpointDir };
    }
    // measure
    const m = await measureAndRecord(trial, ctx, model, data, result, record);
    // export
    if (c.export.onnx) {
      const { bytes, report } = await exportChecked(model, data.test, c.export.checkSamples);
      await record.exported(bytes, report);
    }
    // record
    closing = true;
    await record.close('FINISHED');
    if (!ctx.quiet)
      console.error(
        `[hybridspike] trial ${trial.index} done: test accuracy ${(100 * m.metrics.test_accuracy!).toFixed(2)}%, ${(m.ops.energyPicojoules / 1e6).toFixed(2)} uJ/inference`,
      );
    return { skipped: false, runId, metrics: m.metrics, checkpointDir };
  } catch (e) {
    // Closing FINISHED failed: the trial's work is done and logged; do not turn it into FAILED.
    if (closing) throw e;
    try {
      await record.close('FAILED', e);
    } catch (closeError) {
      console.error(`[hybridspike] ${(closeError as Error).message}`);
    }
    throw e;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
