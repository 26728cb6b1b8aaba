import { ENERGY_MODEL } from '@hybridspike/blocks';
import type { Run, Tracker } from '@hybridspike/tracking';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestOf, groupStat, groupTrials, runsByHash, type ConfigGroup, type Stat } from './aggregate.js';
import { axisChart, energyScatter, learningCurves, renderSvg, type CurvePoint } from './plots.js';
import type { LoadedSweep } from './sweep.js';
import { SOURCE_TAGS, TAG } from './trial/index.js';

export interface ReportResult {
  markdown: string;
  csv: string;
  files: string[];
  rows: Record<string, string | number>[];
  /** One row per configuration: mean, std and n over its seeds. */
  summary: Record<string, string | number>[];
  /** The generated opening sentence. */
  headline: string;
}

/** Per-trial metrics in the table, each with one format for the whole column. */
const METRICS: Record<string, (v: number) => string> = {
  test_accuracy: pct,
  best_val_accuracy: pct,
  test_top5: pct,
  test_loss: (v) => (Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(4)),
  energy_pj: uj,
  energy_ann_pj: uj,
  energy_snn_pj: uj,
  sops: count,
  macs: count,
  train_seconds: (v) => v.toFixed(1),
};
const COLUMN_TITLE: Record<string, string> = {
  energy_pj: 'energy_uJ',
  energy_ann_pj: 'ann_uJ',
  energy_snn_pj: 'snn_uJ',
  test_accuracy: 'test_acc_%',
  best_val_accuracy: 'val_acc_%',
  test_top5: 'test_top5_%',
};
const BRANCH_NAME: Record<string, string> = { hybrid: 'hybrid', ann: 'ANN', snn: 'SNN' };

function pct(v: number): string {
  return (100 * v).toFixed(2);
}
function uj(v: number): string {
  return (v / 1e6).toFixed(4);
}
function count(v: number): string {
  return v.toExponential(3);
}
function pm(s: Stat | null, f: (v: number) => string): string {
  if (!s) return '';
  return s.n > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean);
}

/**
 * The opening sentence, from the numbers: per branch, the configuration with the best mean of
 * the selection metric, its test accuracy (mean ± std over seeds) and its energy per image.
 */
export function headlineOf(groups: ConfigGroup[], metric: string): string {
  const parts: { name: string; acc: string; energy: string }[] = [];
  for (const branch of ['hybrid', 'ann', 'snn']) {
    const best = bestOf(
      groups.filter((g) => g.branch === branch),
      metric,
    );
    if (!best) continue;
    const g = best.group;
    const detail = Object.entries(g.values)
      .filter(([k]) => k !== 'branch')
      .map(([, v]) => v)
      .join(', ');
    const acc = groupStat(g, 'test_accuracy');
    const e = groupStat(g, 'energy_pj');
    parts.push({
      name: `${BRANCH_NAME[branch]}${detail ? ` (${detail})` : ''}`,
      acc: `${pm(acc, pct)}%`,
      energy: e ? (e.mean / 1e6).toFixed(3) : '?',
    });
  }
  if (!parts.length) return 'No trial has finished yet.';
  const n = Math.max(...groups.map((g) => g.runs.length));
  const accs = parts.map((p) => `${p.name} ${p.acc}`);
  const list = accs.length > 1 ? `${accs.slice(0, -1).join(', ')} and ${accs[accs.length - 1]}` : accs[0];
  return (
    `Test accuracy ${n > 1 ? `(mean ± std over ${n} seeds) ` : ''}of the best configuration per branch, chosen by mean ${metric}: ` +
    `${list}, at ${parts.map((p) => p.energy).join(' / ')} µJ per image.`
  );
}

type Row = Record<string, string | number>;

/** One row per trial: its axis values, status, the table's metrics and its run. */
function trialRows(
  loaded: LoadedSweep,
  { finished, other }: ReturnType<typeof runsByHash>,
  axes: string[],
): Row[] {
  return loaded.trials.map((t) => {
    const r = finished.get(t.hash);
    const row: Row = { trial: t.index };
    for (const a of axes) {
      const v = t.overrides[a];
      row[a] = v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    row.status = r ? 'FINISHED' : (other.get(t.hash)?.info.status ?? 'not run');
    for (const m of Object.keys(METRICS)) row[m] = r?.metrics[m] ?? '';
    row.run_id = r?.info.runId ?? other.get(t.hash)?.info.runId ?? '';
    return row;
  });
}

/** One row per configuration: mean and std over its seeds. */
function summaryRows(groups: ConfigGroup[]): Row[] {
  const metrics = [
    'test_accuracy',
    'best_val_accuracy',
    'energy_pj',
    'energy_ann_pj',
    'energy_snn_pj',
    'train_seconds',
  ];
  return groups.map((g) => {
    const s: Row = { configuration: g.label, branch: g.branch, n: g.runs.length };
    for (const m of metrics) {
      const st = groupStat(g, m);
      s[`${m}_mean`] = st?.mean ?? '';
      s[`${m}_std`] = st?.std ?? '';
    }
    return s;
  });
}

/** Rows as CSV (header from the first row's keys). */
function toCsv(rows: Row[], cols = Object.keys(rows[0] ?? {})): string {
  return (
    [cols.join(','), ...rows.map((r) => cols.map((c) => JSON.stringify(r[c] ?? '')).join(','))].join('\n') +
    '\n'
  );
}

/** The report as Markdown: headline, per-configuration table, energy model, per-trial table. */
function markdownOf(
  loaded: LoadedSweep,
  headline: string,
  groups: ConfigGroup[],
  rows: Row[],
  metric: string,
): string {
  const cell = (k: string, v: string | number) =>
    typeof v === 'number' && METRICS[k] ? METRICS[k](v) : String(v);
  const cols = Object.keys(rows[0] ?? { trial: 0 });
  const title = (c: string) => COLUMN_TITLE[c] ?? c;
  const configurations = groups.map((g) => {
    const st = (m: string) => groupStat(g, m);
    const e = `${pm(st('energy_pj'), uj)} (${uj(st('energy_ann_pj')?.mean ?? 0)} + ${uj(st('energy_snn_pj')?.mean ?? 0)})`;
    return `| ${g.label} | ${g.branch} | ${g.runs.length}/${g.trials.length} | ${pm(st('test_accuracy'), pct)} | ${pm(st('best_val_accuracy'), pct)} | ${e} | ${pm(st('train_seconds'), (v) => v.toFixed(1))} |`;
  });
  return [
    `# ${loaded.sweep.name}`,
    '',
    headline,
    '',
    loaded.sweep.description ?? '',
    '',
    '## Per configuration (mean ± std over seeds)',
    '',
    '| configuration | branch | n | test acc % | val acc % | energy µJ (ANN + SNN) | train s |',
    '|---|---|---|---|---|---|---|',
    ...configurations,
    '',
    `Energy model: ${ENERGY_MODEL}. Counted on 8 test images per run, per inference. Model selection uses ${metric} (the validation set carved from the training data); the test set is evaluated once per run, after training.`,
    '',
    ...ratesMarkdown(groups),
    '## Per trial',
    '',
    `| ${cols.map(title).join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => cell(c, r[c]!)).join(' | ')} |`),
    '',
  ].join('\n');
}

/**
 * Firing rates per spiking layer and configuration (test set, mean over seeds), layers that never
 * fire flagged, and per configuration what sits in them.
 */
function ratesMarkdown(groups: ConfigGroup[]): string[] {
  const layers = [
    ...new Set(
      groups.flatMap((g) =>
        g.runs.flatMap((r) => Object.keys(r.run.metrics).filter((k) => k.startsWith('rate/'))),
      ),
    ),
  ].sort();
  if (!layers.length) return [];
  const spiking = groups.filter((g) => layers.some((l) => groupStat(g, l)));
  const cell = (g: ConfigGroup, l: string) => {
    const st = groupStat(g, l);
    if (!st) return '';
    return st.mean === 0 ? '**0 (silent)**' : `${(100 * st.mean).toFixed(2)}`;
  };
  const silent = spiking.map((g) => {
    const n = layers.filter((l) => groupStat(g, l)?.mean === 0).length;
    const total = layers.filter((l) => groupStat(g, l)).length;
    const params = groupStat(g, 'silent_params')?.mean ?? 0;
    const energy = groupStat(g, 'silent_energy_pj')?.mean ?? 0;
    const all = groupStat(g, 'energy_pj')?.mean ?? 0;
    return `- ${g.label}: ${n} of ${total} spiking layers never fire; ${Math.round(params).toLocaleString('en-US')} parameters sit in blocks that never fire, which count ${(energy / 1e6).toFixed(4)} µJ per image (${all ? ((100 * energy) / all).toFixed(1) : '0'}% of the total: neuron updates and synapses that still receive spikes; synapses fed by silent layers count 0 SOPs).`;
  });
  return [
    '## Firing rates (% of neuron-steps that spike, test set, mean over seeds)',
    '',
    `| layer | ${spiking.map((g) => g.label).join(' | ')} |`,
    `|---|${spiking.map(() => '---').join('|')}|`,
    ...layers.map((l) => `| ${l.slice('rate/'.length)} | ${spiking.map((g) => cell(g, l)).join(' | ')} |`),
    '',
    ...silent,
    '',
  ];
}

/** One error-bar chart per axis (seeds aside) and the accuracy-vs-energy scatter, as SVG files. */
async function charts(
  groups: ConfigGroup[],
  axes: string[],
  metric: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const a of axes.filter((x) => x !== 'seed')) {
    const pts = groups.flatMap((g) =>
      g.runs
        .filter((r) => typeof r.run.metrics[metric] === 'number')
        .map((r) => ({ value: g.values[a] ?? '(base)', metric: r.run.metrics[metric]! })),
    );
    if (pts.length)
      out[`axis-${a.replace(/[^\w.-]/g, '_')}.svg`] = await renderSvg(axisChart(a, metric, pts));
  }
  const scatter = groups.flatMap((g) => {
    const acc = groupStat(g, 'test_accuracy');
    const e = groupStat(g, 'energy_pj');
    return acc && e
      ? [
          {
            configuration: g.label,
            branch: g.branch,
            accuracy: acc.mean,
            accStd: acc.std,
            energy: e.mean / 1e6,
          },
        ]
      : [];
  });
  if (scatter.length) out['accuracy-vs-energy.svg'] = await renderSvg(energyScatter(scatter));
  return out;
}

/** Per-epoch history of every run of every configuration, as learning-curve points. */
async function curvePoints(tracker: Tracker, groups: ConfigGroup[]): Promise<CurvePoint[]> {
  const out: CurvePoint[] = [];
  const metrics = {
    loss: 'train loss',
    val_loss: 'validation loss',
    accuracy: 'train accuracy',
    val_accuracy: 'validation accuracy',
  };
  for (const g of groups)
    for (const r of g.runs)
      for (const [key, label] of Object.entries(metrics))
        for (const m of await tracker.getMetricHistory(r.run.info.runId, key))
          if (Number.isFinite(m.value))
            out.push({ configuration: g.label, metric: label, epoch: m.step, value: m.value });
  return out;
}

/** The spike raster of the best configuration that spikes (the ANN twin has none), or null. */
async function bestRaster(tracker: Tracker, groups: ConfigGroup[], metric: string): Promise<string | null> {
  const best = bestOf(
    groups.filter((g) => g.branch !== 'ann'),
    metric,
  );
  if (!best) return null;
  try {
    return new TextDecoder().decode(await tracker.readArtifact(best.run.info.runId, 'raster.svg'));
  } catch {
    return null; // a run logged before rasters existed
  }
}

/** `learning-curves.svg` when the runs have epoch histories. */
async function curvesSvg(tracker: Tracker, groups: ConfigGroup[]): Promise<Record<string, string>> {
  const points = await curvePoints(tracker, groups);
  return points.length ? { 'learning-curves.svg': await renderSvg(learningCurves(points)) } : {};
}

/** Logs the report's files to the sweep's one `<sweep>-report` run, created once and updated in place. */
async function logReportRun(
  tracker: Tracker,
  experimentId: string,
  loaded: LoadedSweep,
  all: Run[],
  files: string[],
  headline: string,
): Promise<void> {
  const existing = all.find((r) => r.tags[TAG.kind] === 'report');
  const runId =
    existing?.info.runId ??
    (
      await tracker.createRun(experimentId, {
        runName: `${loaded.sweep.name}-report`,
        tags: { [TAG.sweep]: loaded.sweep.name, [TAG.kind]: 'report', ...SOURCE_TAGS },
      })
    ).runId;
  for (const f of files) await tracker.logArtifact(runId, f, 'report');
  await tracker.setTags(runId, { 'hybridspike.headline': headline });
  await tracker.endRun(runId, 'FINISHED');
}

/**
 * Turns a sweep's runs into tables (per trial, and per configuration with mean ± std over
 * seeds), an opening sentence, one error-bar chart per axis and an accuracy-vs-energy scatter,
 * written to `outDir` and logged as artifacts of the sweep's one `<sweep>-report` run (updated
 * in place on every report). The spike raster of the best spiking configuration is copied beside them.
 */
export async function writeReport(
  tracker: Tracker,
  experimentId: string,
  loaded: LoadedSweep,
  outDir: string,
): Promise<ReportResult> {
  const all = await tracker.searchRuns([experimentId], { [TAG.sweep]: loaded.sweep.name });
  const byHash = runsByHash(all.filter((r) => r.tags[TAG.kind] === 'trial'));
  const metric = loaded.sweep.best.metric;
  const groups = groupTrials(loaded, byHash.finished);
  const axes = [...new Set(loaded.trials.flatMap((t) => Object.keys(t.overrides)))];
  const rows = trialRows(loaded, byHash, axes);
  const summary = summaryRows(groups);
  const headline = headlineOf(groups, metric);
  const markdown = markdownOf(loaded, headline, groups, rows, metric);
  const csv = toCsv(rows);
  const raster = await bestRaster(tracker, groups, metric);
  const contents: Record<string, string> = {
    'table.md': markdown,
    'table.csv': csv,
    'summary.csv': toCsv(summary),
    ...(await charts(groups, axes, metric)),
    ...(await curvesSvg(tracker, groups)),
    ...(raster ? { 'raster-best.svg': raster } : {}),
  };
  mkdirSync(outDir, { recursive: true });
  const files = Object.entries(contents).map(([name, data]) => {
    writeFileSync(join(outDir, name), data);
    return join(outDir, name);
  });
  await logReportRun(tracker, experimentId, loaded, all, files, headline);
  return { markdown, csv, files, rows, summary, headline };
}
