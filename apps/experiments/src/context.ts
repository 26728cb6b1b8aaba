import { createTracker, type Tracker } from '@hybridspike/tracking';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadPlugins } from './plugins.js';
import { loadSweep, MAX_SWEEP_BYTES, type LoadedSweep, type LoadSweepOptions } from './sweep.js';
import { normalizeRefs, trialConfig, type TrialConfig } from './config.js';

/** Where a command reads and writes: tracking store, checkpoints, reports. */
export interface Workspace {
  root: string;
  tracker: Tracker;
  runsDir: string;
  reportsDir: string;
}

export function workspace(root = '.'): Workspace {
  const r = resolve(root);
  return {
    root: r,
    tracker: createTracker({ uri: process.env.MLFLOW_TRACKING_URI || join(r, 'mlruns') }),
    runsDir: join(r, 'runs'),
    reportsDir: join(r, 'reports'),
  };
}

/** Imports the sweep's plugins first (their components must exist to validate it), then loads it. */
export async function openSweep(
  file: string,
  options: LoadSweepOptions = {},
): Promise<{ loaded: LoadedSweep; plugins: Record<string, string> }> {
  let plugins: string[] = [];
  try {
    // (a device or a huge file is refused, with its reason, by loadSweep)
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_SWEEP_BYTES) throw new Error('not a sweep file');
    const raw = YAML.parse(readFileSync(file, 'utf8')) as { plugins?: unknown } | null;
    if (Array.isArray(raw?.plugins)) plugins = raw.plugins.filter((p): p is string => typeof p === 'string');
  } catch {
    /* loadSweep reports read and YAML errors with context */
  }
  const versions = await loadPlugins(plugins, dirname(resolve(file)));
  return { loaded: loadSweep(file, options), plugins: versions };
}

/** Reads a single trial config YAML (a sweep's `base` on its own, `plugins` allowed), plugins imported. */
export async function readTrialConfigFile(
  file: string,
): Promise<{ config: TrialConfig; plugins: Record<string, string> }> {
  const raw = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const plugins = await loadPlugins(
    Array.isArray(raw.plugins) ? (raw.plugins as string[]) : [],
    dirname(resolve(file)),
  );
  delete raw.plugins;
  return { config: trialConfig.parse(normalizeRefs(raw)), plugins };
}
