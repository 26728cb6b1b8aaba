import type { Run, Tracker } from '@hybridspike/tracking';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axisChart, renderSvg } from './plots.js';
import type { LoadedSweep } from './sweep.js';
import { TAG } from './run-trial.js';

export interface ReportResult {
  markdown: string;
  csv: string;
  files: string[];
  rows: Record<string, string | number>[];
}

const METRICS = ['test_accuracy', 'test_top5', 'val_accuracy', 'test_loss', 'energy_pj', 'sops', 'macs', 'train_seconds'] as const;

function fmt(v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '');
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toExponential(3) : v.toFixed(4);
}

/**
 * Turns a sweep's finished runs into a table (Markdown and CSV, one row per trial with its axis
 * values and final metrics) and one SVG chart per axis, written to `outDir` and logged as
 * artifacts of a `<sweep>-report` run. The best trial's spike raster is copied beside them.
 */
export async function writeReport(tracker: Tracker, experimentId: string, loaded: LoadedSweep, outDir: string): Promise<ReportResult> {
  const runs = (await tracker.searchRuns([experimentId], { [TAG.sweep]: loaded.sweep.name })).filter((r) => r.info.status === 'FINISHED' && r.tags[TAG.kind] === 'trial');
  const byHash = new Map<string, Run>();
  for (const r of runs) if (!byHash.has(r.tags[TAG.hash]!)) byHash.set(r.tags[TAG.hash]!, r);
  const axes = [...new Set(loaded.trials.flatMap((t) => Object.keys(t.overrides)))];
  const rows: Record<string, string | number>[] = [];
  for (const t of loaded.trials) {
    const r = byHash.get(t.hash);
    const row: Record<string, string | number> = { trial: t.index };
    for (const a of axes) row[a] = t.overrides[a] === undefined ? '' : typeof t.overrides[a] === 'object' ? JSON.stringify(t.overrides[a]) : String(t.overrides[a]);
    row.status = r ? 'FINISHED' : 'missing';
    for (const m of METRICS) row[m] = r?.metrics[m] ?? '';
    row.run_id = r?.info.runId ?? '';
    rows.push(row);
  }
  const cols = Object.keys(rows[0] ?? { trial: 0 });
  const markdown = [`# ${loaded.sweep.name}`, '', loaded.sweep.description ?? '', '', `| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => fmt(r[c])).join(' | ')} |`), ''].join('\n');
  const csv = [cols.join(','), ...rows.map((r) => cols.map((c) => JSON.stringify(r[c] ?? '')).join(','))].join('\n') + '\n';
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: string) => {
    writeFileSync(join(outDir, name), data);
    files.push(join(outDir, name));
  };
  write('table.md', markdown);
  write('table.csv', csv);
  const metric = loaded.sweep.best.metric;
  for (const a of axes) {
    const pts = rows.filter((r) => typeof r[metric] === 'number').map((r) => ({ value: String(r[a] === '' ? '(base)' : r[a]), metric: r[metric] as number }));
    if (pts.length) write(`axis-${a.replace(/[^\w.-]/g, '_')}.svg`, await renderSvg(axisChart(a, metric, pts)));
  }
  const best = [...byHash.values()].filter((r) => r.metrics[metric] !== undefined).sort((x, y) => y.metrics[metric]! - x.metrics[metric]!)[0];
  if (best) {
    try {
      write('raster-best.svg', new TextDecoder().decode(await tracker.readArtifact(best.info.runId, 'raster.svg')));
    } catch {
      /* the best model has no SNN side (ANN twin): no raster */
    }
  }
  const reportRun = await tracker.createRun(experimentId, { runName: `${loaded.sweep.name}-report`, tags: { [TAG.sweep]: loaded.sweep.name, [TAG.kind]: 'report' } });
  for (const f of files) await tracker.logArtifact(reportRun.runId, f, 'report');
  await tracker.endRun(reportRun.runId, 'FINISHED');
  return { markdown, csv, files, rows };
}
