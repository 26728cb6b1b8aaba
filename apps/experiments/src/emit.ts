import YAML from 'yaml';

export interface EmitOptions {
  /** The sweep file relative to the checkout root (the scripts run there). */
  sweepFile: string;
  name: string;
  trials: number;
  parallelism: number;
  image: string;
  trackingUri: string;
}

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
              env: [{ name: 'MLFLOW_TRACKING_URI', value: o.trackingUri }],
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
    `export MLFLOW_TRACKING_URI="\${MLFLOW_TRACKING_URI:-${o.trackingUri}}"`,
    '# Submit from the checkout root (or set HYBRIDSPIKE_HOME to it); runs/ and mlruns/ go to HYBRIDSPIKE_ROOT.',
    'cd "${HYBRIDSPIKE_HOME:-$SLURM_SUBMIT_DIR}"',
    `${trialCommand(o.sweepFile)
      .map((a) => JSON.stringify(a))
      .join(' ')} --root "\${HYBRIDSPIKE_ROOT:-.}"`,
    '',
  ].join('\n');
}
