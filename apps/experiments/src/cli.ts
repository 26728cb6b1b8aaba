#!/usr/bin/env node
import { Command, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { openSweep, readTrialConfigFile, workspace } from './context.js';
import { buildData, buildModel } from './build.js';
import { initRuntime } from '@hybridspike/core';
import { loadCheckpoint } from '@hybridspike/core/node';
import { k8sManifest, slurmScript } from './emit.js';
import { writeReport } from './report.js';
import { formatReproduce, reproduce } from './reproduce.js';
import { exportAndCheck, exportChecked, loadTrialModel, runTrial, TrialRecord } from './trial/index.js';
import { exportBest, runSweep, TRIAL_LOCKED_EXIT } from './sweep-runner.js';
import { evaluate } from '@hybridspike/trainer';
import { configHash } from './config.js';
import { trialOfRun } from './load-run.js';
import { describeError } from './describe-error.js';
import { writeWebModel } from './web-model.js';
import { exportRunNir, importNirFile } from './nir-commands.js';
import { sweepJsonSchema } from './sweep-schema.js';
import { initExperiment } from './init.js';
import { repoRelative, userPath } from './paths.js';

const program = new Command();
program
  .name('hybridspike')
  .description('Hybrid ANN-SNN (HAS-8) experiments: sweeps logged to MLflow, ONNX export, reports.')
  .version(cliVersion(), '-V, --version', 'print the version of the CLI')
  .showHelpAfterError();

/** This CLI's package version. */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const rootOption = () =>
  new Option(
    '--root <dir>',
    'workspace: mlruns/ (unless MLFLOW_TRACKING_URI), runs/, reports/ (relative paths: to where you ran the command)',
  )
    .default('.')
    .argParser(userPath);

/** `--max-trials <n>`: the most trials a sweep may expand to (default 10,000). */
const maxTrialsOption = () =>
  new Option(
    '--max-trials <n>',
    'refuse a sweep that expands to more trials than this (default: HYBRIDSPIKE_MAX_TRIALS or 10000)',
  ).argParser((v: string) => Number(v));

/**
 * First SIGINT / SIGTERM: abort (training stops after the current batch, the run is marked
 * KILLED), and the process exits 130 / 143 when the command has wound down; a second signal
 * exits at once.
 */
function interruptible(): AbortController {
  const ac = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGTERM' ? 143 : 130;
    if (ac.signal.aborted) process.exit(code);
    console.error(
      `\n[hybridspike] ${signal}: finishing the current batch, marking the run KILLED (send it again to quit now)`,
    );
    process.exitCode = code;
    ac.abort(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return ac;
}

program
  .command('sweep')
  .description(
    'expand a sweep file into numbered trials and run them (finished trials are skipped), then export the best model and write the report',
  )
  .argument('<file>', 'sweep YAML (experiments/*.yaml)')
  .addOption(rootOption())
  .option('--parallel <n>', 'trials at once, each in its own process', (v) => Number.parseInt(v, 10), 1)
  .option('--force', 'rerun trials that already FINISHED')
  .option('--quiet', 'no progress output')
  .addOption(
    new Option(
      '--emit <target>',
      'write a Kubernetes Indexed Job or Slurm array script instead of running',
    ).choices(['k8s', 'slurm']),
  )
  .option('--out <file>', 'where --emit writes (default: stdout)', userPath)
  .option('--image <image>', 'container image for --emit k8s', 'hybridspike:latest')
  .option('--no-report', 'skip the report')
  .addOption(maxTrialsOption())
  .action(async (file: string, o) => {
    file = userPath(file);
    // Child trials expand the same sweep: they inherit the limit the user raised.
    if (o.maxTrials !== undefined) process.env.HYBRIDSPIKE_MAX_TRIALS = String(o.maxTrials);
    const { loaded, plugins } = await openSweep(file, { maxTrials: o.maxTrials });
    if (o.emit) {
      const args = {
        sweepFile: repoRelative(file),
        name: loaded.sweep.name,
        trials: loaded.trials.length,
        parallelism: o.parallel,
        image: o.image,
        trackingUri: process.env.MLFLOW_TRACKING_URI || undefined,
      };
      const text = o.emit === 'k8s' ? k8sManifest(args) : slurmScript(args);
      if (o.out) {
        mkdirSync(dirname(resolve(o.out)), { recursive: true });
        writeFileSync(o.out, text);
        console.error(`[hybridspike] wrote ${o.emit} for ${loaded.trials.length} trials to ${o.out}`);
      } else process.stdout.write(text);
      return;
    }
    const ws = workspace(o.root);
    const exp = await ws.tracker.getOrCreateExperiment(loaded.sweep.experiment ?? loaded.sweep.name);
    console.error(
      `[hybridspike] sweep ${loaded.sweep.name}: ${loaded.trials.length} trials -> ${ws.tracker.uri} (experiment ${exp})`,
    );
    const ac = interruptible();
    const outcomes = await runSweep(loaded, ws, exp, plugins, {
      parallel: o.parallel,
      force: o.force,
      quiet: o.quiet,
      signal: ac.signal,
    });
    const failed = [...outcomes].filter(([, v]) => v === 'failed').map(([i]) => i);
    if (ac.signal.aborted) {
      console.error(
        '[hybridspike] sweep interrupted; run the same command again to continue where it stopped.',
      );
      return;
    }
    if (loaded.sweep.best.exportOnnx) {
      const best = await exportBest(loaded, ws, exp);
      if (best) {
        const r = best.report;
        console.error(
          `[hybridspike] best trial ${best.trial.index} (run ${best.runId}) ${best.reused ? 'was already ' : ''}exported to ONNX; onnxruntime parity on ${r.samples} test images: max |dlogit| ${r.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * r.argmaxAgreement).toFixed(1)}%, spike mismatches ${r.spikeMismatches} (${r.tieMismatches} at threshold ties): ${r.ok ? 'OK' : 'FAILED'}`,
        );
        if (!r.ok) process.exitCode = 1;
      } else if (outcomes.size > failed.length) {
        console.error(
          `[hybridspike] no finished trial has the metric '${loaded.sweep.best.metric}' (best.metric); nothing exported. A sweep with data.validation: 0 must select by another metric, e.g. best: { metric: test_accuracy }.`,
        );
        process.exitCode = 1;
      }
    }
    if (o.report) {
      const rep = await writeReport(ws.tracker, exp, loaded, join(ws.reportsDir, loaded.sweep.name));
      console.log(rep.markdown);
      console.error(`[hybridspike] report: ${rep.files.join(', ')}`);
    }
    if (failed.length) {
      console.error(`[hybridspike] ${failed.length} trial(s) failed: ${failed.join(', ')}`);
      process.exitCode = 1;
    }
  });

program
  .command('trial')
  .description('run exactly one trial of a sweep (the unit a scheduler runs)')
  .argument('<file>', 'sweep YAML')
  .option('--index <i>', 'trial index (default: JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)')
  .addOption(rootOption())
  .option('--force', 'rerun even if FINISHED')
  .option('--quiet', 'no progress output')
  .addOption(maxTrialsOption())
  .action(async (file: string, o) => {
    const raw = o.index ?? process.env.JOB_COMPLETION_INDEX ?? process.env.SLURM_ARRAY_TASK_ID;
    if (raw === undefined)
      throw new Error('no trial index: pass --index or set JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID.');
    const index = Number.parseInt(raw, 10);
    file = userPath(file);
    const { loaded, plugins } = await openSweep(file, { maxTrials: o.maxTrials });
    const trial = loaded.trials[index];
    if (!Number.isInteger(index) || !trial)
      throw new Error(`trial index ${raw} is outside 0..${loaded.trials.length - 1} of ${file}.`);
    const ws = workspace(o.root);
    const exp = await ws.tracker.getOrCreateExperiment(loaded.sweep.experiment ?? loaded.sweep.name);
    const ac = interruptible();
    const r = await runTrial(trial, {
      tracker: ws.tracker,
      experimentId: exp,
      sweepName: loaded.sweep.name,
      runsDir: ws.runsDir,
      plugins,
      force: o.force,
      quiet: o.quiet,
      signal: ac.signal,
    });
    console.log(JSON.stringify({ trial: index, runId: r.runId, skipped: r.skipped, metrics: r.metrics }));
    if (r.lockedBy) process.exitCode = TRIAL_LOCKED_EXIT;
  });

program
  .command('train')
  .description('train one configuration (a YAML trial config, no axes), logged like a one-trial sweep')
  .argument('<config>', 'trial config YAML')
  .addOption(rootOption())
  .option('--force', 'rerun even if an identical config FINISHED')
  .action(async (file: string, o) => {
    file = userPath(file);
    const { config, plugins } = await readTrialConfigFile(file);
    // The name becomes a folder: only the characters a sweep name may hold.
    const name = `train-${basename(file)
      .replace(/\.ya?ml$/, '')
      .replace(/[^\w.-]/g, '-')}`.slice(0, 128);
    const ws = workspace(o.root);
    const exp = await ws.tracker.getOrCreateExperiment(name);
    const ac = interruptible();
    const r = await runTrial(
      { index: 0, overrides: {}, config, hash: configHash(config) },
      {
        tracker: ws.tracker,
        experimentId: exp,
        sweepName: name,
        runsDir: ws.runsDir,
        plugins,
        force: o.force,
        signal: ac.signal,
      },
    );
    console.log(JSON.stringify({ runId: r.runId, metrics: r.metrics }));
  });

/** `--plugins a,b`: the plugin packages a run's record may load (it names them; the user allows). */
const pluginsOption = () =>
  new Option(
    '--plugins <names>',
    "plugin packages the run's record may load, comma-separated (a record never loads code unless allowed here)",
  )
    .argParser((v: string) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .default([]);

program
  .command('eval')
  .description("evaluate a finished run's model on its test set")
  .argument('<run-id>')
  .addOption(rootOption())
  .addOption(pluginsOption())
  .action(async (runId: string, o) => {
    const { ws, trial } = await trialOfRun(runId, o.root, o.plugins);
    const { model, test } = await loadTrialModel(TrialRecord.of(ws.tracker, runId), trial);
    console.log(JSON.stringify(evaluate(model, test)));
  });

program
  .command('export')
  .description(
    'export a model to ONNX (from a finished run, or from --checkpoint + --config), check it in onnxruntime on test images, write the .onnx file',
  )
  .argument('[run-id]', 'a finished run whose weights and config were logged')
  .addOption(rootOption())
  .option('--checkpoint <file>', 'safetensors weights (instead of a run id)', userPath)
  .option(
    '--config <file>',
    'trial config YAML the checkpoint was trained with (with --checkpoint)',
    userPath,
  )
  .option(
    '--out <file>',
    'output .onnx (default: <run-id or checkpoint name>.onnx, where you ran the command)',
    userPath,
  )
  .option('--samples <n>', 'test images for the parity check', (v) => Number.parseInt(v, 10), 32)
  .addOption(
    new Option('--format <format>', 'onnx, or nir (spiking models: the SNN-only twin)')
      .choices(['onnx', 'nir'])
      .default('onnx'),
  )
  .option(
    '--dt <seconds>',
    'NIR: the time step the neuron constants are mapped for (default 1e-4)',
    Number.parseFloat,
  )
  .addOption(pluginsOption())
  .action(async (runId: string | undefined, o) => {
    if (runId) {
      const { ws, trial } = await trialOfRun(runId, o.root, o.plugins);
      const record = TrialRecord.of(ws.tracker, runId);
      const { model, test } = await loadTrialModel(record, trial);
      if (o.format === 'nir') {
        const r = await exportRunNir(model, test, o.out ?? userPath(`${runId}.nir`), o.samples, o.dt);
        console.log(JSON.stringify(r, null, 2));
        if (!r.ok) process.exitCode = 1;
        return;
      }
      const out = o.out ?? userPath(`${runId}.onnx`);
      // The file first: if it cannot be written, the run records nothing.
      const { report } = await exportAndCheck(record, model, test, o.samples, (bytes) =>
        writeFileSync(out, bytes),
      );
      console.log(JSON.stringify({ out, ...report }, null, 2));
      if (!report.ok) process.exitCode = 1;
      return;
    }
    if (!o.checkpoint || !o.config)
      throw new Error(
        'export needs a run id, or both --checkpoint <file.safetensors> and --config <trial.yaml>.',
      );
    const { config } = await readTrialConfigFile(o.config);
    await initRuntime();
    const data = buildData(config);
    const model = buildModel(config, data.train);
    loadCheckpoint(model, o.checkpoint);
    model.eval();
    const { bytes, report } = await exportChecked(model, data.test, o.samples);
    const out = o.out ?? userPath(`${basename(o.checkpoint).replace(/\.safetensors$/, '')}.onnx`);
    writeFileSync(out, bytes);
    console.log(JSON.stringify({ out, ...report }, null, 2));
    if (!report.ok) process.exitCode = 1;
  });

program
  .command('schema')
  .description('print the JSON Schema of sweep files (for editors: # yaml-language-server: $schema=...)')
  .option('--out <file>', 'write it to a file instead', userPath)
  .action((o) => {
    const text = `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`;
    if (o.out) writeFileSync(o.out, text);
    else process.stdout.write(text);
  });

program
  .command('init')
  .description(
    'scaffold experiments/<name>/ (a sweep file and a package whose `sweep` script runs it) in your repo, for `turbo run sweep --filter=<name>`',
  )
  .argument('<name>', 'lower-case name of the experiment (folder, package and sweep name)')
  .option('--dir <dir>', 'the repository root (default: the current directory)', userPath)
  .action((name: string, o: { dir?: string }) => {
    const r = initExperiment({ name, dir: o.dir, cliVersion: `^${cliVersion()}` });
    for (const f of r.created) console.log(`created ${f}`);
    for (const f of r.updated) console.log(`updated ${f}`);
    console.log(
      `next: install (npm install / pnpm install), then \`npx turbo run sweep --filter=${name}\` ` +
        `or \`npx hybridspike sweep experiments/${name}/sweep.yaml\``,
    );
  });

program
  .command('import-nir')
  .description(
    'read a NIR graph (.nir) as hybridspike modules, run it on random inputs, and with --onnx export it to ONNX with the parity check',
  )
  .argument('<file>', 'a .nir file (HDF5)')
  .option(
    '--onnx <file>',
    'write the graph (with its encoder and decoder) as ONNX, checked in onnxruntime',
    userPath,
  )
  .option(
    '--dt <seconds>',
    "the time step of the file's neuron constants (its own hybridspike.dt wins; default 1e-4)",
    Number.parseFloat,
  )
  .option('--encoder <name>', 'spike encoder for a graph whose file names none (bitplane, rate, latency)')
  .option('--samples <n>', 'inputs to run', (v) => Number.parseInt(v, 10), 4)
  .option(
    '--steps <n>',
    'time steps of the random spikes for a graph without an encoder',
    (v) => Number.parseInt(v, 10),
    8,
  )
  .action(async (file: string, o) => {
    const r = await importNirFile(userPath(file), o);
    console.log(JSON.stringify(r, null, 2));
    if (!r.ok) process.exitCode = 1;
  });

program
  .command('report')
  .description("table (Markdown, CSV) and per-axis SVG charts of a sweep's finished trials")
  .argument('<file>', 'sweep YAML')
  .addOption(rootOption())
  .action(async (file: string, o) => {
    const { loaded } = await openSweep(userPath(file));
    const ws = workspace(o.root);
    const exp = await ws.tracker.getOrCreateExperiment(loaded.sweep.experiment ?? loaded.sweep.name);
    const rep = await writeReport(ws.tracker, exp, loaded, join(ws.reportsDir, loaded.sweep.name));
    console.log(rep.markdown);
  });

program
  .command('web')
  .description(
    "write the best run of a sweep for the web page (apps/web): model.onnx with every layer's spikes as outputs, and test images",
  )
  .argument('<file>', 'sweep YAML')
  .addOption(rootOption())
  .option('--out <dir>', 'output folder (default: reports/<sweep>/web)', userPath)
  .addOption(
    new Option(
      '--branch <branch>',
      'the best configuration of this branch instead of the best overall',
    ).choices(['hybrid', 'snn', 'ann']),
  )
  .action(async (file: string, o) => {
    const { loaded } = await openSweep(userPath(file));
    const ws = workspace(o.root);
    const exp = await ws.tracker.getOrCreateExperiment(loaded.sweep.experiment ?? loaded.sweep.name);
    const out = o.out ?? join(ws.reportsDir, loaded.sweep.name, 'web');
    const { runId, label, files } = await writeWebModel(ws.tracker, exp, loaded, out, { branch: o.branch });
    console.error(`[hybridspike] best configuration ${label} (run ${runId}) written: ${files.join(', ')}`);
    console.error(`[hybridspike] open it in a browser: pnpm web ${out}`);
  });

program
  .command('reproduce')
  .description('rerun a logged trial from its record and compare every metric')
  .argument('<run-id>')
  .addOption(rootOption())
  .option('--tolerance <x>', 'absolute tolerance across backends', Number.parseFloat, 1e-3)
  .addOption(pluginsOption())
  .action(async (runId: string, o) => {
    const ws = workspace(o.root);
    const r = await reproduce(ws.tracker, runId, {
      runsDir: ws.runsDir,
      tolerance: o.tolerance,
      plugins: o.plugins,
    });
    console.log(formatReproduce(r));
    if (!r.ok) process.exitCode = 1;
  });

// A failure that escaped every handler still ends with one clear line, never a raw stack trace.
process.on('unhandledRejection', (e: unknown) => {
  console.error(`hybridspike: ${describeError(e)}`);
  process.exit(1);
});

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`hybridspike: ${describeError(e)}`);
  process.exit(1);
});
