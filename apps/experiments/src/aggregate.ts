import type { Run } from '@hybridspike/tracking';
import { TAG } from './trial/index.js';
import type { LoadedSweep, Trial } from './sweep.js';

/** Mean, sample standard deviation (0 for one value) and count of a metric over seeds. */
export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** The trials of one configuration (the same overrides but `seed`), with their finished runs. */
export interface ConfigGroup {
  /** Stable identity: the overrides without `seed`, as JSON. */
  key: string;
  /** `axis=value, ...` (or `(base)`), for tables and charts. */
  label: string;
  /** The axis values of the configuration (no seed), as strings. */
  values: Record<string, string>;
  branch: string;
  trials: Trial[];
  /** Finished runs of those trials, in trial order. */
  runs: { trial: Trial; run: Run }[];
}

export function statOf(xs: number[]): Stat | null {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}

/** The statistic of `metric` over a group's finished runs. */
export function groupStat(g: ConfigGroup, metric: string): Stat | null {
  return statOf(g.runs.map((r) => r.run.metrics[metric]).filter((x): x is number => x !== undefined));
}

const show = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Groups a sweep's trials by configuration; `finished` maps a config hash to its finished run. */
export function groupTrials(loaded: LoadedSweep, finished: Map<string, Run>): ConfigGroup[] {
  const groups = new Map<string, ConfigGroup>();
  for (const t of loaded.trials) {
    const values = Object.fromEntries(
      Object.entries(t.overrides)
        .filter(([k]) => k !== 'seed')
        .map(([k, v]) => [k, show(v)]),
    );
    const key = JSON.stringify(values);
    let g = groups.get(key);
    if (!g) {
      const label =
        Object.entries(values)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '(base)';
      g = { key, label, values, branch: t.config.branch, trials: [], runs: [] };
      groups.set(key, g);
    }
    g.trials.push(t);
    const run = finished.get(t.hash);
    if (run) g.runs.push({ trial: t, run });
  }
  return [...groups.values()];
}

/** The group with the best mean `metric` (higher is better), and its best run by the same metric. */
export function bestOf(
  groups: ConfigGroup[],
  metric: string,
): { group: ConfigGroup; trial: Trial; run: Run } | null {
  let best: { group: ConfigGroup; mean: number } | null = null;
  for (const g of groups) {
    const s = groupStat(g, metric);
    if (s && (!best || s.mean > best.mean)) best = { group: g, mean: s.mean };
  }
  if (!best) return null;
  const top = [...best.group.runs]
    .filter((r) => r.run.metrics[metric] !== undefined)
    .sort((a, b) => b.run.metrics[metric]! - a.run.metrics[metric]!)[0]!;
  return { group: best.group, ...top };
}

/**
 * The newest run per config hash: the FINISHED one if any (not deleted), and, for hashes with
 * none, the newest other run (to show FAILED / KILLED / RUNNING).
 */
export function runsByHash(runs: Run[]): { finished: Map<string, Run>; other: Map<string, Run> } {
  const finished = new Map<string, Run>();
  const other = new Map<string, Run>();
  for (const r of [...runs].sort((a, b) => b.info.startTime - a.info.startTime)) {
    if (r.info.lifecycleStage === 'deleted') continue;
    const h = r.tags[TAG.hash]!;
    if (r.info.status === 'FINISHED') {
      if (!finished.has(h)) finished.set(h, r);
    } else if (!other.has(h)) other.set(h, r);
  }
  return { finished, other };
}
