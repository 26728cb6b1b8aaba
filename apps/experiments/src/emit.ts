import YAML from 'yaml';

export interface EmitOptions {
  /** The sweep file relative to the checkout root (the scripts run there). */
  sweepFile: string;
  name: string;
  trials: number;
  parallelism: number;
  image: string;
  /**
   * The MLflow server the jobs log to. Kubernetes pods share no folder, so a k8s job needs one
   * (default `http://mlflow:5000`, a service in the namespace); Slurm tasks share a filesystem,
   * so without it they log to the file store under HYBRIDSPIKE_ROOT (or the submit folder).
   */
  trackingUri?: string;
}

/** The service name a Kubernetes job logs to when no tracking URI is given. */
export const K8S_DEFAULT_TRACKING_URI = 'http://mlflow:5000';

/** Where the checkout is inside the image of a Kubernetes job (the image's working directory). */
export const IMAGE_WORKDIR = '/app';

/** The command one trial runs, from the checkout root; HYBRIDSPIKE_ROOT picks the workspace. */
function trialCommand(sweepFile: string): string[] {
  return ['node', 'apps/experiments/bin/hybridspike.mjs', 'trial', sweepFile];
}

/** A Kubernetes Indexed Job: one pod per trial index, `trial` reads JOB_COMPLETION_INDEX. */
export function k8sManifest(o: EmitOptions): string {
  return YAML.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `hybridspike-${o.name}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 63),
      labels: { app: 'hybridspike', sweep: o.name },
    },
    spec: {
      completionMode: 'Indexed',
      completions: o.trials,
      parallelism: o.parallelism,
      backoffLimitPerIndex: 1,
      template: {
        metadata: { labels: { app: 'hybridspike', sweep: o.name } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'trial',
              image: o.image,
              workingDir: IMAGE_WORKDIR,
              command: trialCommand(o.sweepFile),
              env: [{ name: 'MLFLOW_TRACKING_URI', value: o.trackingUri ?? K8S_DEFAULT_TRACKING_URI }],
              resources: { requests: { cpu: '2', memory: '8Gi' } },
            },
          ],
        },
      },
    },
  });
}

/** A Slurm array script: one task per trial index, `trial` reads SLURM_ARRAY_TASK_ID. */
export function slurmScript(o: EmitOptions): string {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=hybridspike-${o.name}`,
    `#SBATCH --array=0-${o.trials - 1}%${o.parallelism}`,
    '#SBATCH --cpus-per-task=2',
    '#SBATCH --mem=8G',
    `#SBATCH --output=hybridspike-${o.name}-%a.log`,
    'set -euo pipefail',
    ...(o.trackingUri
      ? [`export MLFLOW_TRACKING_URI="\${MLFLOW_TRACKING_URI:-${o.trackingUri}}"`]
      : [
          '# No MLFLOW_TRACKING_URI: runs go to the file store HYBRIDSPIKE_ROOT/mlruns (a shared filesystem);',
          '# export MLFLOW_TRACKING_URI before sbatch to log to an MLflow server instead.',
        ]),
    '# Submit from the checkout root (or set HYBRIDSPIKE_HOME to it); runs/ and mlruns/ go to HYBRIDSPIKE_ROOT.',
    '# Run by hand outside Slurm, it works from the current folder.',
    'cd "${HYBRIDSPIKE_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}"',
    `${trialCommand(o.sweepFile)
      .map((a) => JSON.stringify(a))
      .join(' ')} --root "\${HYBRIDSPIKE_ROOT:-.}"`,
    '',
  ].join('\n');
}
