import { createTracker, type Tracker } from '@hybridspike/tracking';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadPlugins } from './plugins.js';
import { loadSweep, type LoadedSweep } from './sweep.js';
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
): Promise<{ loaded: LoadedSweep; plugins: Record<string, string> }> {
  let plugins: string[] = [];
  try {
    const raw = YAML.parse(readFileSync(file, 'utf8')) as { plugins?: unknown } | null;
    if (Array.isArray(raw?.plugins)) plugins = raw.plugins.filter((p): p is string => typeof p === 'string');
  } catch {
    /* loadSweep reports read and YAML errors with context */
  }
  const versions = await loadPlugins(plugins, dirname(resolve(file)));
  return { loaded: loadSweep(file), plugins: versions };
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
