import { HybridSpikeError, registry } from '@hybridspike/core';
import { readFileSync, statSync } from 'node:fs';
import YAML, { isMap, isSeq, LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { invokingDir } from './paths.js';
import { closeKeys, keysAt } from './sweep-schema.js';
import {
  configHash,
  normalizeRefs,
  setPath,
  sweepFile,
  trialConfig,
  type SweepFile,
  type TrialConfig,
} from './config.js';

/** One expanded trial: its index, the values of the axes, and the resolved config. */
export interface Trial {
  index: number;
  overrides: Record<string, unknown>;
  config: TrialConfig;
  hash: string;
}

export interface LoadedSweep {
  file: string;
  sweep: SweepFile;
  trials: Trial[];
}

function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): string {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const pair = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
    const at = pair ?? node?.range?.[0];
    if (at !== undefined) return `line ${lc.linePos(at).line}`;
  }
  return 'line ?';
}

function findKeyNode(doc: Document, path: (string | number)[]): number | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const key = path[path.length - 1];
  if (isMap(parent)) {
    for (const item of parent.items) {
      const k = item.key as { value?: unknown; range?: [number, number, number] };
      if (k?.value === key) return k.range?.[0];
    }
  }
  if (isSeq(parent) && typeof key === 'number')
    return (parent.items[key] as { range?: [number, number, number] } | undefined)?.range?.[0];
  return undefined;
}

function issuesToText(
  e: z.ZodError,
  file: string,
  doc: Document,
  lc: LineCounter,
  prefix: (string | number)[],
): string {
  return e.issues
    .map((i) => {
      const path = [...prefix, ...(i.path as (string | number)[])];
      const keys = 'keys' in i && Array.isArray(i.keys) ? i.keys : [];
      const where = keys.length ? lineOf(doc, lc, [...path, keys[0] as string]) : lineOf(doc, lc, path);
      const name = keys.length ? `${[...path, ...keys].join('.')}` : path.join('.') || '(top)';
      const hints = keys
        .map((k) => ({ k: String(k), close: closeKeys(String(k), keysAt(path)) }))
        .filter((h) => h.close.length)
        .map((h) => ` (did you mean ${h.close.map((c) => `'${c}'`).join(' or ')} for '${h.k}'?)`)
        .join('');
      return `${file}:${where.replace('line ', '')}: '${name}': ${i.message}${keys.length ? ` ${JSON.stringify(keys)}` : ''}${hints}`;
    })
    .join('\n');
}

/** A component's key in the trial config, for finding the line that set it. */
const COMPONENT_KEYS = [
  ['dataset', ['dataset']],
  ['encoder', ['encoder']],
  ['neuron', ['neuron']],
  ['optimizer', ['train', 'optimizer']],
  ['schedule', ['train', 'schedule']],
  ['model', ['model']],
] as const;

/**
 * Checks each component of a trial against its registry schema (names and options; the model's
 * with placeholder data sizes, so a typo such as `bsae` fails before any run). Returns the
 * config path of the component that failed with the error, or null.
 */
function checkComponents(c: TrialConfig): { path: readonly string[]; error: Error } | null {
  const withName = (r: unknown) => (typeof r === 'string' ? { name: r } : (r as { name: string }));
  for (const [kind, path] of COMPONENT_KEYS) {
    const value = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c);
    try {
      if (kind === 'model') {
        registry.parse('model', {
          ...withName(value),
          inChannels: 1,
          numClasses: 2,
          branch: c.branch,
          seed: c.seed,
          encoder: withName(c.encoder),
          neuron: withName(c.neuron),
        });
      } else registry.parse(kind, withName(value));
    } catch (error) {
      return { path, error: error as Error };
    }
  }
  return null;
}

/** Where a trial's setting of `path` came from: the override that set it, else the base. */
function settingLine(
  doc: Document,
  lc: LineCounter,
  overrides: Record<string, unknown>,
  where: (string | number)[][],
  path: readonly string[],
): string {
  const dotted = path.join('.');
  const i = Object.keys(overrides).findIndex(
    (k) => k === dotted || k.startsWith(`${dotted}.`) || dotted.startsWith(`${k}.`),
  );
  if (i >= 0 && where.length) {
    const w = where.length === Object.keys(overrides).length ? where[i]! : where[0]!;
    return lineOf(doc, lc, w).replace('line ', '');
  }
  return lineOf(doc, lc, ['base', ...path]).replace('line ', '');
}

/** Options of {@link loadSweep}. */
export interface LoadSweepOptions {
  /**
   * Most trials a sweep may expand to (default HYBRIDSPIKE_MAX_TRIALS, else 10,000): counted
   * before anything is expanded, so a typo'd grid of 10^7 is an error, not an out-of-memory crash.
   */
  maxTrials?: number;
}

/** A sweep file is a page of YAML: anything larger is a mistake (or a device), not a sweep. */
export const MAX_SWEEP_BYTES = 1 << 20;

/** The trial limit in force: the option, else HYBRIDSPIKE_MAX_TRIALS, else 10,000. */
export function maxTrials(given?: number): number {
  const raw =
    given ?? (process.env.HYBRIDSPIKE_MAX_TRIALS ? Number(process.env.HYBRIDSPIKE_MAX_TRIALS) : 10_000);
  if (!Number.isSafeInteger(raw) || raw < 1)
    throw new HybridSpikeError('BAD_OPTIONS', `the trial limit must be a positive whole number, got ${raw}.`);
  return raw;
}

/** Reads a sweep file's text: a regular file of at most {@link MAX_SWEEP_BYTES}. */
function readSweepText(file: string): string {
  const st = statSync(file);
  if (!st.isFile())
    throw new HybridSpikeError('BAD_OPTIONS', `${file} is not a regular file; a sweep file is a YAML file.`);
  if (st.size > MAX_SWEEP_BYTES)
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `${file} is ${(st.size / 2 ** 20).toFixed(1)} MiB; a sweep file may be at most ${MAX_SWEEP_BYTES / 2 ** 20} MiB (use axes.grid to describe many trials).`,
    );
  return readFileSync(file, 'utf8');
}

/** Reads, validates and expands a sweep file; every error names the key and its line. */
export function loadSweep(file: string, options: LoadSweepOptions = {}): LoadedSweep {
  const limit = maxTrials(options.maxTrials);
  let text: string;
  try {
    text = readSweepText(file);
  } catch (e) {
    if (e instanceof HybridSpikeError) throw e;
    const why =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? `no such file (relative paths are resolved against the folder the command was run in, ${invokingDir()})`
        : (e as Error).message;
    throw new HybridSpikeError('BAD_OPTIONS', `cannot read sweep file ${file}: ${why}`);
  }
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc });
  if (doc.errors.length)
    throw new HybridSpikeError('BAD_OPTIONS', `${file}: YAML error: ${doc.errors[0]!.message}`);
  const parsed = sweepFile.safeParse(doc.toJS());
  if (!parsed.success)
    throw new HybridSpikeError('BAD_OPTIONS', issuesToText(parsed.error, file, doc, lc, []));
  const sweep = parsed.data;
  const base = normalizeRefs(sweep.base);
  const baseCheck = trialConfig.safeParse(base);
  if (!baseCheck.success)
    throw new HybridSpikeError('BAD_OPTIONS', issuesToText(baseCheck.error, file, doc, lc, ['base']));

  const grid = Object.entries(sweep.axes.grid);
  const product = grid.reduce((n, [, values]) => n * values.length, 1);
  const count =
    ((grid.length > 0 || sweep.axes.list.length === 0 ? product : 0) + sweep.axes.list.length) *
    (sweep.seeds?.length ?? 1);
  if (count > limit)
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `${file}: the sweep expands to ${count.toLocaleString('en-US')} trials (${[
        ...grid.map(([k, v]) => `${k}: ${v.length}`),
        ...(sweep.axes.list.length ? [`list: ${sweep.axes.list.length}`] : []),
        ...(sweep.seeds ? [`seeds: ${sweep.seeds.length}`] : []),
      ].join(
        ' x ',
      )}), over the limit of ${limit.toLocaleString('en-US')}; if you mean it, raise the limit with --max-trials ${count} (or HYBRIDSPIKE_MAX_TRIALS).`,
    );
  let combos: { overrides: Record<string, unknown>; where: (string | number)[][] }[] = [
    { overrides: {}, where: [] },
  ];
  for (const [key, values] of grid) {
    combos = combos.flatMap((c) =>
      values.map((v, i) => ({
        overrides: { ...c.overrides, [key]: v },
        where: [...c.where, ['axes', 'grid', key, i]],
      })),
    );
  }
  if (grid.length === 0 && sweep.axes.list.length > 0) combos = [];
  combos.push(...sweep.axes.list.map((o, i) => ({ overrides: o, where: [['axes', 'list', i]] })));
  // Seeds repeat every configuration, configuration-major: trial = config * seeds + seed index.
  if (sweep.seeds) {
    const seeds = sweep.seeds;
    combos = combos.flatMap((c) =>
      seeds.map((seed, j) => ({ overrides: { ...c.overrides, seed }, where: [...c.where, ['seeds', j]] })),
    );
  }
  const trials: Trial[] = combos.map((c, index) => {
    // Overrides apply over the base with its defaults, so `encoder.alpha` works without an encoder block.
    const cfg = structuredClone(baseCheck.data) as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.overrides)) setPath(cfg, k, v);
    const r = trialConfig.safeParse(normalizeRefs(cfg));
    if (!r.success) {
      const text = r.error.issues
        .map(
          (i) =>
            `'${i.path.join('.')}': ${i.message}${'keys' in i && Array.isArray(i.keys) ? ` ${JSON.stringify(i.keys)}` : ''}`,
        )
        .join('; ');
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `${file}:${c.where.map((w) => lineOf(doc, lc, w).replace('line ', '')).join(',')}: trial ${index} (${JSON.stringify(c.overrides)}): ${text}`,
      );
    }
    const bad = checkComponents(r.data);
    if (bad) {
      const line = settingLine(doc, lc, c.overrides, c.where, bad.path);
      throw new HybridSpikeError('BAD_OPTIONS', `${file}:${line}: trial ${index}: ${bad.error.message}`);
    }
    return { index, overrides: c.overrides, config: r.data, hash: configHash(r.data) };
  });
  if (trials.length === 0)
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `${file}: the sweep expands to no trial; add axes.grid or axes.list entries.`,
    );
  return { file, sweep, trials };
}
