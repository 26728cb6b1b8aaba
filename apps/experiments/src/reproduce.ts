import { HybridSpikeError, initRuntime } from '@hybridspike/core';
import type { Tracker } from '@hybridspike/tracking';
import { join } from 'node:path';
import { configHash } from './config.js';
import { invokingDir } from './paths.js';
import { loadPlugins } from './plugins.js';
import { allowedRecordPlugins, readRunRecord, recordedPlugins } from './run-record.js';
import { packageVersions } from './provenance.js';
import { runTrial, TAG } from './trial/index.js';

/** Metrics that measure the machine, not the model: never compared. */
const TIMING = new Set(['images_per_second', 'train_seconds']);

export interface MetricComparison {
  key: string;
  step: number;
  original: number;
  rerun: number;
  diff: number;
  match: boolean;
}

export interface ReproduceReport {
  /** ONNX parity recorded on each run (`hybridspike.onnx_parity`), reported beside the metrics. */
  onnxParity: { original: string | null; rerun: string | null };
  originalRunId: string;
  newRunId: string;
  sameBackend: boolean;
  tolerance: number;
  versionMismatches: { pkg: string; recorded: string; current: string }[];
  comparisons: MetricComparison[];
  ok: boolean;
}

/**
 * Reruns a logged trial from its record (resolved config, seed, plugins, versions) into a new run
 * tagged `hybridspike.reproduces`, then compares every metric at every step: bit for bit on the
 * same backend, within `tolerance` (absolute) across backends. Version mismatches are reported
 * before anything runs; a missing plugin stops it.
 */
export async function reproduce(
  tracker: Tracker,
  runId: string,
  o: {
    runsDir: string;
    tolerance?: number;
    log?: (s: string) => void;
    /** Plugin packages the user allows the run's record to load (`--plugins`). */
    plugins?: string[];
  },
): Promise<ReproduceReport> {
  const log = o.log ?? ((s: string) => console.error(s));
  // The record is checked (run id, sweep name, hash) before any of it names a folder.
  const { sweep, trial } = await readRunRecord(tracker, runId);
  const original = await tracker.getRun(runId);
  const recorded = recordedVersions(original.tags[TAG.versions]);
  const current = packageVersions();
  const versionMismatches = Object.entries(recorded)
    .filter(([pkg, v]) => current[pkg] !== v)
    .map(([pkg, v]) => ({ pkg, recorded: v, current: current[pkg] ?? 'missing' }));
  for (const m of versionMismatches)
    log(`[reproduce] version mismatch: ${m.pkg} recorded ${m.recorded}, installed ${m.current}`);
  const plugins = recordedPlugins(original);
  let loaded: Record<string, string>;
  try {
    loaded = await loadPlugins(allowedRecordPlugins(original, o.plugins ?? []), invokingDir(), {
      projectOnly: true,
    });
  } catch (e) {
    throw new HybridSpikeError('UNKNOWN_COMPONENT', `cannot reproduce run ${runId}: ${(e as Error).message}`);
  }
  for (const [p, v] of Object.entries(plugins))
    if (loaded[p] !== v)
      log(`[reproduce] plugin version mismatch: ${p} recorded ${v}, installed ${loaded[p]}`);
  const config = trial.config;
  if (configHash(config) !== trial.hash)
    log(
      `[reproduce] note: the recorded config hashes to ${configHash(config)}, not ${trial.hash} (defaults changed?)`,
    );
  const { backend, threads, kernels } = await initRuntime();
  // Identical numbers need the same backend and the same kernels (oneDNN and XNNPACK sum in
  // other orders); runs recorded before the kernels tag ran on the wasm kernels.
  const recordedKernels =
    original.tags[TAG.kernels] ?? (original.tags[TAG.backend] === 'wasm' ? 'wasm-simd' : kernels);
  const sameBackend = original.tags[TAG.backend] === backend && recordedKernels === kernels;
  // The thread count changes no number (wasm kernels split work by output, never a sum): logged only.
  if (original.tags[TAG.threads] && original.tags[TAG.threads] !== String(threads))
    log(`[reproduce] note: recorded with ${original.tags[TAG.threads]} thread(s), rerunning with ${threads}`);
  const tolerance = o.tolerance ?? 1e-3;
  log(
    `[reproduce] rerunning ${sweep} trial ${trial.index} (run ${runId}) on ${backend} (${kernels}); recorded ${original.tags[TAG.backend]} (${recordedKernels}): ${sameBackend ? 'expecting identical metrics' : `tolerance ${tolerance}`}`,
  );
  const outcome = await runTrial(trial, {
    tracker,
    experimentId: original.info.experimentId,
    sweepName: sweep,
    runsDir: join(o.runsDir, `reproduce-${runId}-${Date.now()}`),
    plugins: loaded,
    force: true,
    quiet: true,
    extraTags: { 'hybridspike.reproduces': runId, [TAG.kind]: 'reproduce' },
  });
  const comparisons: MetricComparison[] = [];
  for (const key of Object.keys(original.metrics).sort()) {
    if (TIMING.has(key)) continue;
    const a = await tracker.getMetricHistory(runId, key);
    const b = await tracker.getMetricHistory(outcome.runId, key);
    for (const m of a) {
      const r = b.find((x) => x.step === m.step);
      const rerun = r?.value ?? NaN;
      const diff = Math.abs(rerun - m.value);
      const match = sameBackend ? Object.is(rerun, m.value) : diff <= tolerance;
      comparisons.push({ key, step: m.step, original: m.value, rerun, diff, match });
    }
  }
  await tracker.setTags(outcome.runId, {
    'hybridspike.reproduce_ok': String(comparisons.every((c) => c.match)),
  });
  const onnxParity = {
    original: original.tags['hybridspike.onnx_parity'] ?? null,
    rerun: (await tracker.getRun(outcome.runId)).tags['hybridspike.onnx_parity'] ?? null,
  };
  return {
    onnxParity,
    originalRunId: runId,
    newRunId: outcome.runId,
    sameBackend,
    tolerance,
    versionMismatches,
    comparisons,
    ok: comparisons.length > 0 && comparisons.every((c) => c.match),
  };
}

/** The package versions a run recorded (tag JSON); a malformed tag reads as none recorded. */
function recordedVersions(tag: string | undefined): Record<string, string> {
  try {
    const v: unknown = JSON.parse(tag ?? '{}');
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  } catch {
    /* below */
  }
  return {};
}

/** The report as a Markdown table. */
export function formatReproduce(r: ReproduceReport): string {
  const lines = [
    `reproduce ${r.originalRunId} -> ${r.newRunId} (${r.sameBackend ? 'same backend: identical required' : `other backend: |diff| <= ${r.tolerance}`})`,
    ...(r.versionMismatches.length
      ? [
          `version mismatches: ${r.versionMismatches.map((m) => `${m.pkg} ${m.recorded} -> ${m.current}`).join(', ')}`,
        ]
      : ['package versions: identical']),
    '',
    '| metric | step | original | rerun | diff | match |',
    '|---|---|---|---|---|---|',
    ...r.comparisons.map(
      (c) =>
        `| ${c.key} | ${c.step} | ${c.original} | ${c.rerun} | ${c.diff.toExponential(2)} | ${c.match ? 'yes' : 'NO'} |`,
    ),
    '',
    `ONNX parity (checked separately, not a training metric): original ${r.onnxParity.original ?? 'not exported'}, rerun ${r.onnxParity.rerun ?? 'not exported'}`,
    r.ok ? 'REPRODUCED: every metric matches.' : 'NOT REPRODUCED: see the rows marked NO.',
  ];
  return lines.join('\n');
}
