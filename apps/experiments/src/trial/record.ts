import {
  closeRun,
  MetricQueue,
  TrackingError,
  type Metric,
  type RunStatus,
  type Tracker,
} from '@hybridspike/tracking';
import type { Callback, EpochLog } from '@hybridspike/trainer';
import { writeFileAtomic } from '@hybridspike/core/node';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { OnnxCheckReport } from '@hybridspike/onnx/check';
import { gitSha, packageVersions } from '../provenance.js';
import type { Trial } from '../sweep.js';

/** The tags this app writes on a trial's run (its vocabulary, in one place). */
export const TAG = {
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

/** MLflow's standard source tags (the UI's Source column) for every run this app creates. */
export const SOURCE_TAGS = { 'mlflow.source.name': 'hybridspike', 'mlflow.source.type': 'LOCAL' } as const;

/** Finished runs of a config hash in an experiment (newest first). */
export async function finishedRuns(tracker: Tracker, experimentId: string, hash: string) {
  return (await tracker.searchRuns([experimentId], { [TAG.hash]: hash, [TAG.kind]: 'trial' })).filter(
    (r) => r.info.status === 'FINISHED' && r.info.lifecycleStage !== 'deleted',
  );
}

/** Where and how a trial ran: the tags every trial run carries. */
export interface TrialIdentity {
  trial: Trial;
  sweepName: string;
  plugins: Record<string, string>;
  runtime: { backend: string; threads: number; kernels: string };
  extraTags?: Record<string, string>;
}

/** The tags every trial run carries (provenance, identity, MLflow's source tags). */
export function trialTags(id: TrialIdentity): Record<string, string> {
  const { trial, runtime } = id;
  const sha = gitSha();
  return {
    [TAG.sweep]: id.sweepName,
    [TAG.index]: String(trial.index),
    [TAG.hash]: trial.hash,
    [TAG.seed]: String(trial.config.seed),
    [TAG.backend]: runtime.backend,
    [TAG.threads]: String(runtime.threads),
    [TAG.kernels]: runtime.kernels,
    [TAG.node]: process.version,
    [TAG.versions]: JSON.stringify(packageVersions()),
    [TAG.plugins]: JSON.stringify(id.plugins),
    [TAG.overrides]: JSON.stringify(trial.overrides),
    [TAG.kind]: 'trial',
    ...SOURCE_TAGS,
    ...(sha ? { [TAG.git]: sha, 'mlflow.source.git.commit': sha.replace(/-dirty$/, '') } : {}),
    ...id.extraTags,
  };
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

/** What a trial's checkpoint folder records about its tracking run. */
interface RunFile {
  runId: string;
  trackingUri: string;
  experimentId: string;
}

const RUN_FILE = 'run.json';

function readRunFile(dir: string): RunFile | null {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')) as RunFile;
  } catch {
    return null;
  }
}

function writeRunFile(dir: string, rec: RunFile): void {
  writeFileAtomic(join(dir, RUN_FILE), JSON.stringify(rec, null, 2));
}

/**
 * A trial's tracking run: the one object of the trial pipeline that talks to the tracker, one
 * call per phase (start, epochs, measures, export, close). Epoch metrics go through a queue that
 * never rejects, so a server outage during training is ridden out instead of killing the trial.
 */
export class TrialRecord {
  private readonly queue: MetricQueue;

  private constructor(
    readonly tracker: Tracker,
    readonly runId: string,
    /** Whether the run was reopened (a trial resumed after an interruption). */
    readonly resumed: boolean,
  ) {
    this.queue = new MetricQueue(tracker, runId);
  }

  /** A record of an existing run (to export or load a finished trial). */
  static of(tracker: Tracker, runId: string): TrialRecord {
    return new TrialRecord(tracker, runId, false);
  }

  /**
   * The one run of a trial, whatever happened before: the run recorded beside the checkpoint is
   * reopened (RUNNING again, tags refreshed) when it still exists, is not deleted and did not
   * finish, so a rerun after a kill continues its metric history; otherwise any checkpoint left
   * behind belongs to nothing and is removed, and a new run is created and recorded there.
   */
  static async open(
    tracker: Tracker,
    experimentId: string,
    checkpointDir: string,
    run: { name: string; tags: Record<string, string> },
  ): Promise<TrialRecord> {
    const rec = readRunFile(checkpointDir);
    if (rec && rec.trackingUri === tracker.uri && rec.experimentId === experimentId) {
      try {
        const old = await tracker.getRun(rec.runId);
        if (old.info.lifecycleStage !== 'deleted' && old.info.status !== 'FINISHED') {
          await tracker.reopenRun(rec.runId);
          await tracker.setTags(rec.runId, run.tags);
          return new TrialRecord(tracker, rec.runId, true);
        }
      } catch (e) {
        if (!(e instanceof TrackingError) || e.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
      }
    }
    if (existsSync(checkpointDir)) rmSync(checkpointDir, { recursive: true, force: true });
    const created = await tracker.createRun(experimentId, { runName: run.name, tags: run.tags });
    writeRunFile(checkpointDir, { runId: created.runId, trackingUri: tracker.uri, experimentId });
    return new TrialRecord(tracker, created.runId, false);
  }

  /** Start: params (flattened config and sizes) and the trial's record (`config.json`). */
  async start(params: Record<string, string | number>, record: unknown): Promise<void> {
    await this.tracker.logParams(this.runId, params);
    await this.tracker.logArtifactBytes(this.runId, 'config.json', JSON.stringify(record, null, 2));
  }

  /**
   * Epochs: a `fit` callback that queues each epoch's metrics, and after a resume logs the
   * restored epochs the run never saw (killed between the checkpoint and the log), so the run's
   * history has every epoch once.
   */
  epochs(): Callback {
    return {
      onResume: async (restored) => {
        const have = new Set((await this.tracker.getMetricHistory(this.runId, 'loss')).map((m) => m.step));
        const missing = restored.filter((e) => !have.has(e.epoch));
        if (missing.length) await this.tracker.logMetrics(this.runId, missing.flatMap(epochMetrics));
      },
      onEpochEnd: (e) => this.queue.add(epochMetrics(e)),
    };
  }

  /** Waits until the queued epoch metrics are logged (retrying through an outage until `ms`). */
  flushEpochs(ms?: number): Promise<void> {
    return this.queue.flush(ms);
  }

  /** Measures: final metrics at `step`, and the artifacts (op counts, raster, weights). */
  async measures(
    step: number,
    metrics: Record<string, number>,
    artifacts: Record<string, Uint8Array | string>,
  ): Promise<void> {
    await this.tracker.logMetrics(
      this.runId,
      Object.entries(metrics).map(([key, value]) => ({ key, value, step })),
    );
    for (const [name, data] of Object.entries(artifacts))
      await this.tracker.logArtifactBytes(this.runId, name, data);
  }

  /**
   * Export: `model.onnx`, `onnx-parity.json` and the parity tags. Tags, not metrics, so that a
   * re-export replaces the figures instead of piling up points (and metric comparisons such as
   * `reproduce` see training metrics only).
   */
  async exported(bytes: Uint8Array, report: OnnxCheckReport): Promise<void> {
    await this.tracker.logArtifactBytes(this.runId, 'model.onnx', bytes);
    await this.tracker.logArtifactBytes(this.runId, 'onnx-parity.json', JSON.stringify(report, null, 2));
    await this.tracker.setTags(this.runId, {
      'hybridspike.onnx_parity': report.ok ? 'ok' : 'FAILED',
      'hybridspike.onnx_exported': 'true',
      'hybridspike.onnx_max_abs_diff': String(report.maxAbsDiff),
      'hybridspike.onnx_argmax_agreement': String(report.argmaxAgreement),
      'hybridspike.onnx_spike_mismatches': String(report.spikeMismatches),
      'hybridspike.onnx_samples': String(report.samples),
    });
  }

  /** The weights a finished trial logged (`model.safetensors`). */
  weights(): Promise<Uint8Array> {
    return this.tracker.readArtifact(this.runId, 'model.safetensors');
  }

  /** Close: the run's final status (with its own retry budget), and the error of a failed one. */
  async close(status: RunStatus, error?: unknown): Promise<void> {
    if (status === 'FAILED') await this.queue.flush(0).catch(() => undefined);
    await closeRun(this.tracker, this.runId, status, {
      ...(error !== undefined
        ? { tags: { 'hybridspike.error': String((error as Error)?.message ?? error).slice(0, 4000) } }
        : {}),
    });
  }
}
