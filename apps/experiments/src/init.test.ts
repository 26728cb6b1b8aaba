import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import './plugins.js';
import { initExperiment, SWEEP_TASK } from './init.js';
import { REPO_ROOT } from './paths.js';
import { loadSweep } from './sweep.js';
import { sweepJsonSchema } from './sweep-schema.js';

const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

describe('hybridspike init', () => {
  it('scaffolds experiments/<name>/ as a workspace package of an npm project, with a sweep that loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-init-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mine', version: '1.0.0' }));
    const r = initExperiment({ name: 'first-try', dir, cliVersion: '^0.1.0' });
    expect(r.created.sort()).toEqual([
      'experiments/first-try/package.json',
      'experiments/first-try/sweep.yaml',
      'experiments/sweep.schema.json',
      'turbo.json',
    ]);
    expect(r.updated).toEqual(['package.json']);
    expect(json(join(dir, 'package.json'))).toMatchObject({
      name: 'mine',
      private: true,
      workspaces: ['experiments/*'],
    });
    expect(json(join(dir, 'experiments/first-try/package.json'))).toEqual({
      name: 'first-try',
      private: true,
      description: expect.stringContaining('--filter=first-try'),
      scripts: { sweep: 'hybridspike sweep sweep.yaml --root ../..' },
      devDependencies: { '@hybridspike/experiments': '^0.1.0' },
    });
    expect(json(join(dir, 'turbo.json')).tasks).toEqual({ sweep: SWEEP_TASK });
    expect(json(join(dir, 'experiments/sweep.schema.json'))).toEqual(sweepJsonSchema());
    const loaded = loadSweep(join(dir, 'experiments/first-try/sweep.yaml'));
    expect(loaded.sweep.name).toBe('first-try');
    expect(loaded.trials.length).toBe(6);

    // A second experiment adds its folder only: the workspace and the task are there already.
    const again = initExperiment({ name: 'second', dir, cliVersion: '^0.1.0' });
    expect(again.updated).toEqual(['experiments/sweep.schema.json']);
    expect(() => initExperiment({ name: 'second', dir, cliVersion: '^0.1.0' })).toThrow(/exists already/);
  });

  it('adds experiments/* to a pnpm workspace keeping its comments, and a task beside turbo.json tasks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-init-'));
    writeFileSync(join(dir, 'pnpm-workspace.yaml'), '# ours\npackages:\n  - packages/*\n');
    writeFileSync(join(dir, 'turbo.json'), JSON.stringify({ tasks: { build: { outputs: ['dist/**'] } } }));
    initExperiment({ name: 'x1', dir, cliVersion: '^0.1.0' });
    const ws = readFileSync(join(dir, 'pnpm-workspace.yaml'), 'utf8');
    expect(ws).toMatch(/^# ours\n/);
    expect(ws).toMatch(/- packages\/\*\n\s*- experiments\/\*/);
    expect(json(join(dir, 'turbo.json')).tasks).toEqual({
      build: { outputs: ['dist/**'] },
      sweep: SWEEP_TASK,
    });
  });

  it('refuses names that are not a lower-case package name, and a package.json it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-init-'));
    for (const bad of ['My', '../x', '.hidden', '', 'a b'])
      expect(() => initExperiment({ name: bad, dir, cliVersion: '^0.1.0' })).toThrow(
        /cannot name an experiment/,
      );
    writeFileSync(join(dir, 'package.json'), '{ not json');
    expect(() => initExperiment({ name: 'ok', dir, cliVersion: '^0.1.0' })).toThrow(
      /package.json is not valid JSON/,
    );
    expect(existsSync(join(dir, 'experiments'))).toBe(false); // nothing half written
  });

  it("this repo's own experiments follow the layout init writes", () => {
    const turbo = json(join(REPO_ROOT, 'turbo.json'));
    expect(turbo.tasks.sweep).toEqual(SWEEP_TASK);
    const dirs = readdirSync(join(REPO_ROOT, 'experiments'), { withFileTypes: true }).filter((d) =>
      d.isDirectory(),
    );
    for (const { name } of dirs) {
      const pkg = json(join(REPO_ROOT, 'experiments', name, 'package.json'));
      expect(pkg.name).toBe(name);
      expect(pkg.scripts.sweep).toMatch(/^hybridspike sweep sweep\.yaml --root \.\.\/\.\./);
      expect(loadSweep(join(REPO_ROOT, 'experiments', name, 'sweep.yaml')).sweep.name).toBe(name);
    }
  });
});
