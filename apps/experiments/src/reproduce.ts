import { HybridSpikeError, initRuntime } from '@hybridspike/core';
import type { Tracker } from '@hybridspike/tracking';
import { join } from 'node:path';
import { configHash, trialConfig } from './config.js';
import { loadPlugins } from './plugins.js';
import { packageVersions } from './provenance.js';
import { runTrial, TAG } from './run-trial.js';

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
  o: { runsDir: string; tolerance?: number; log?: (s: string) => void },
): Promise<ReproduceReport> {
  const log = o.log ?? ((s: string) => console.error(s));
  const original = await tracker.getRun(runId);
  let record: {
    config: unknown;
    overrides: Record<string, unknown>;
    hash: string;
    sweep: string;
    index: number;
  };
  try {
    record = JSON.parse(new TextDecoder().decode(await tracker.readArtifact(runId, 'config.json')));
  } catch (e) {
    throw new HybridSpikeError(
      'TRACKING',
      `run ${runId} has no readable config.json artifact; it was not logged by 'hybridspike trial'. (${(e as Error).message})`,
    );
  }
  const recorded = JSON.parse(original.tags[TAG.versions] ?? '{}') as Record<string, string>;
  const current = packageVersions();
  const versionMismatches = Object.entries(recorded)
    .filter(([pkg, v]) => current[pkg] !== v)
    .map(([pkg, v]) => ({ pkg, recorded: v, current: current[pkg] ?? 'missing' }));
  for (const m of versionMismatches)
    log(`[reproduce] version mismatch: ${m.pkg} recorded ${m.recorded}, installed ${m.current}`);
  const plugins = JSON.parse(original.tags[TAG.plugins] ?? '{}') as Record<string, string>;
  let loaded: Record<string, string>;
  try {
    loaded = await loadPlugins(Object.keys(plugins));
  } catch (e) {
    throw new HybridSpikeError('UNKNOWN_COMPONENT', `cannot reproduce run ${runId}: ${(e as Error).message}`);
  }
  for (const [p, v] of Object.entries(plugins))
    if (loaded[p] !== v)
      log(`[reproduce] plugin version mismatch: ${p} recorded ${v}, installed ${loaded[p]}`);
  const config = trialConfig.parse(record.config);
  if (configHash(config) !== record.hash)
    log(
      `[reproduce] note: the recorded config hashes to ${configHash(config)}, not ${record.hash} (defaults changed?)`,
    );
  const { backend, threads } = await initRuntime();
  const sameBackend = original.tags[TAG.backend] === backend;
  // The thread count changes no number (wasm kernels split work by output, never a sum): logged only.
  if (original.tags[TAG.threads] && original.tags[TAG.threads] !== String(threads))
    log(`[reproduce] note: recorded with ${original.tags[TAG.threads]} thread(s), rerunning with ${threads}`);
  const tolerance = o.tolerance ?? 1e-3;
  log(
    `[reproduce] rerunning ${record.sweep} trial ${record.index} (run ${runId}) on ${backend}; recorded backend ${original.tags[TAG.backend]}: ${sameBackend ? 'expecting identical metrics' : `tolerance ${tolerance}`}`,
  );
  const outcome = await runTrial(
    { index: record.index, overrides: record.overrides, config, hash: record.hash },
    {
      tracker,
      experimentId: original.info.experimentId,
      sweepName: record.sweep,
      runsDir: join(o.runsDir, `reproduce-${runId}-${Date.now()}`),
      plugins: loaded,
      force: true,
      quiet: true,
      extraTags: { 'hybridspike.reproduces': runId, [TAG.kind]: 'reproduce' },
    },
  );
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
