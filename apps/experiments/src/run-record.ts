import { HybridSpikeError } from '@hybridspike/core';
import { checkRunId, type Run, type Tracker } from '@hybridspike/tracking';
import { z } from 'zod';
import { CONFIG_HASH, SWEEP_NAME, trialConfig } from './config.js';
import { checkPluginName } from './plugins.js';
import type { Trial } from './sweep.js';

/**
 * The `config.json` artifact of a trial's run, as `hybridspike trial` writes it. Run records are
 * written by whoever can reach the tracking store, so every field that later names a folder
 * (sweep, hash) is checked against the shape this app writes before it is used.
 */
const runRecord = z
  .object({
    config: z.unknown(),
    overrides: z.record(z.string(), z.unknown()),
    hash: z.string().regex(CONFIG_HASH, '16 hex digits'),
    sweep: z.string().regex(SWEEP_NAME, 'a sweep name'),
    index: z.number().int().min(0),
  })
  .strict();

/** A trial's record read back from its run: the trial, and the sweep it belonged to. */
export interface RunRecord {
  sweep: string;
  trial: Trial;
}

/** Reads and checks a run's `config.json`; a missing, malformed or tampered record is an error. */
export async function readRunRecord(tracker: Tracker, runId: string): Promise<RunRecord> {
  checkRunId(runId);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await tracker.readArtifact(runId, 'config.json')));
  } catch (e) {
    throw new HybridSpikeError(
      'TRACKING',
      `run ${runId} has no readable config.json artifact; it was not logged by 'hybridspike trial'. (${(e as Error).message})`,
    );
  }
  const r = runRecord.safeParse(raw);
  if (!r.success)
    throw new HybridSpikeError(
      'TRACKING',
      `run ${runId}'s config.json is not a record 'hybridspike trial' writes (${r.error.issues
        .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
        .join('; ')}); refusing to use it.`,
    );
  const parsed = trialConfig.safeParse(r.data.config);
  if (!parsed.success)
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `run ${runId}'s config.json holds a config this version cannot read: ${parsed.error.issues
        .map((i) => `'${i.path.join('.')}': ${i.message}`)
        .join('; ')}`,
    );
  const { hash, index, overrides, sweep } = r.data;
  return { sweep, trial: { index, overrides, config: parsed.data, hash } };
}

/**
 * The plugins a run says it was trained with (its `hybridspike.plugins` tag, name -> version),
 * checked to be package names. They are not loaded here: see {@link allowedRecordPlugins}.
 */
export function recordedPlugins(run: Run): Record<string, string> {
  const raw = run.tags['hybridspike.plugins'];
  if (raw === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new HybridSpikeError(
      'TRACKING',
      `run ${run.info.runId}'s tag hybridspike.plugins is not a JSON object of package names; refusing it.`,
    );
  for (const name of Object.keys(v)) checkPluginName(name, `run ${run.info.runId}'s hybridspike.plugins tag`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/**
 * The plugin packages to load for a run: those its record names, but only when the user allowed
 * each by name (`--plugins a,b`). A record is data from the tracking store, not the user's word:
 * it never loads code by itself, and what it asks for is listed back.
 */
export function allowedRecordPlugins(run: Run, allowed: string[]): string[] {
  const wanted = Object.keys(recordedPlugins(run));
  const missing = wanted.filter((p) => !allowed.includes(p));
  if (missing.length)
    throw new HybridSpikeError(
      'UNKNOWN_COMPONENT',
      `run ${run.info.runId} was recorded with plugin package(s) ${missing.join(', ')}. Plugins named by a run record load only when you ask: rerun with --plugins ${wanted.join(',')} if you trust them (each must be installed in your project).`,
    );
  return wanted;
}
