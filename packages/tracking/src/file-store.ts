import { randomInt, randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import YAML from 'yaml';
import {
  checkMetric,
  localUser,
  MLFLOW_LIMITS,
  STATUS_CODES,
  STATUS_NAMES,
  TrackingError,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type Tracker,
} from './types.js';

function atomicWrite(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function checkKey(key: string, what: string): void {
  // MLflow's rule: alphanumerics, underscores, dashes, periods, spaces and slashes; no '..'.
  if (!/^[\w\-. /]+$/.test(key) || key.includes('..') || key.startsWith('/')) {
    throw new TrackingError(
      `invalid ${what} name '${key}': use letters, digits, '_', '-', '.', ' ' and '/' (no '..').`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

interface RunMeta {
  artifact_uri: string;
  end_time: number | null;
  entry_point_name: string;
  experiment_id: string;
  lifecycle_stage: string;
  run_id: string;
  run_name: string;
  run_uuid: string;
  source_name: string;
  source_type: number;
  source_version: string;
  start_time: number;
  status: number;
  tags: unknown[];
  user_id: string;
}

/**
 * MLflow's local FileStore (what `mlflow ui` reads from ./mlruns), written directly: experiment
 * folders with `meta.yaml`, run folders with `meta.yaml`, `params/`, `metrics/` (lines
 * `<ms> <value> <step>`), `tags/`, `artifacts/`. Keys with '/' become sub-folders; every file
 * write is atomic (temp file + rename), metric lines are appended whole.
 */
export class FileStore implements Tracker {
  readonly root: string;
  constructor(root = './mlruns') {
    this.root = resolve(root.startsWith('file:') ? fileURLToPath(root) : root);
    this.ensureDefault();
  }

  get uri(): string {
    return pathToFileURL(this.root).href;
  }

  private ensureDefault(): void {
    const meta = join(this.root, '0', 'meta.yaml');
    if (!existsSync(meta)) this.writeExperiment('0', 'Default');
  }

  private writeExperiment(id: string, name: string): void {
    const now = Date.now();
    atomicWrite(
      join(this.root, id, 'meta.yaml'),
      YAML.stringify({
        artifact_location: pathToFileURL(join(this.root, id)).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      }),
    );
  }

  private experimentIds(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter(
      (d) => /^\d+$/.test(d) && existsSync(join(this.root, d, 'meta.yaml')),
    );
  }

  /** Experiments moved to `.trash/` by MLflow's `delete_experiment`: their ids and names are taken. */
  private trashedExperiments(): { id: string; name: string }[] {
    const trash = join(this.root, '.trash');
    if (!existsSync(trash)) return [];
    return readdirSync(trash)
      .filter((d) => existsSync(join(trash, d, 'meta.yaml')))
      .map((id) => ({
        id,
        name: (YAML.parse(readFileSync(join(trash, id, 'meta.yaml'), 'utf8')) as { name: string }).name,
      }));
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    for (const id of this.experimentIds()) {
      const meta = YAML.parse(readFileSync(join(this.root, id, 'meta.yaml'), 'utf8')) as {
        name: string;
        lifecycle_stage: string;
      };
      if (meta.name === name) {
        if (meta.lifecycle_stage !== 'active')
          throw new TrackingError(
            `experiment '${name}' is deleted; restore it or pick another name.`,
            'INVALID_STATE',
          );
        return id;
      }
    }
    const trashed = this.trashedExperiments();
    const deleted = trashed.find((e) => e.name === name);
    if (deleted) {
      throw new TrackingError(
        `experiment '${name}' was deleted (it is in ${join(this.root, '.trash', deleted.id)}); restore it (mlflow experiments restore --experiment-id ${deleted.id}), remove it for good (mlflow gc), or use another name.`,
        'RESOURCE_ALREADY_EXISTS',
      );
    }
    // MLflow's scheme: a random 18-digit decimal id (a string), never a reused or computed one.
    const taken = new Set([...this.experimentIds(), ...trashed.map((e) => e.id)]);
    let id: string;
    do id = String(randomInt(1, 10)) + Array.from({ length: 17 }, () => randomInt(0, 10)).join('');
    while (taken.has(id));
    this.writeExperiment(id, name);
    return id;
  }

  private runDir(runId: string): string {
    for (const id of this.experimentIds()) {
      const d = join(this.root, id, runId);
      if (existsSync(join(d, 'meta.yaml'))) return d;
    }
    throw new TrackingError(`run '${runId}' not found in ${this.root}.`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private readMeta(dir: string): RunMeta {
    return YAML.parse(readFileSync(join(dir, 'meta.yaml'), 'utf8')) as RunMeta;
  }

  async createRun(
    experimentId: string,
    options: { runName?: string; tags?: Record<string, string>; startTime?: number } = {},
  ): Promise<RunInfo> {
    if (!existsSync(join(this.root, experimentId, 'meta.yaml')))
      throw new TrackingError(
        `experiment '${experimentId}' does not exist in ${this.root}.`,
        'RESOURCE_DOES_NOT_EXIST',
      );
    const runId = randomUUID().replace(/-/g, '');
    const dir = join(this.root, experimentId, runId);
    const runName = options.runName ?? `run-${runId.slice(0, 8)}`;
    const meta: RunMeta = {
      artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
      end_time: null,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: runName,
      run_uuid: runId,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: options.startTime ?? Date.now(),
      status: STATUS_CODES.RUNNING,
      tags: [],
      user_id: localUser(),
    };
    for (const sub of ['params', 'metrics', 'tags', 'artifacts'])
      mkdirSync(join(dir, sub), { recursive: true });
    atomicWrite(join(dir, 'meta.yaml'), YAML.stringify(meta));
    await this.setTags(runId, { 'mlflow.runName': runName, 'mlflow.user': meta.user_id, ...options.tags });
    return toInfo(meta);
  }

  async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    const dir = this.runDir(runId);
    for (const [key, raw] of Object.entries(params)) {
      checkKey(key, 'param');
      const value = String(raw);
      if (value.length > MLFLOW_LIMITS.paramValueLength)
        throw new TrackingError(
          `param '${key}' is ${value.length} characters; MLflow allows ${MLFLOW_LIMITS.paramValueLength}.`,
          'INVALID_PARAMETER_VALUE',
        );
      const path = join(dir, 'params', ...key.split('/'));
      if (existsSync(path)) {
        const old = readFileSync(path, 'utf8');
        if (old !== value) {
          throw new TrackingError(
            `param '${key}' was already logged as '${old}' and cannot change to '${value}' (MLflow params are immutable; use a new run or a tag).`,
            'INVALID_PARAMETER_VALUE',
          );
        }
        continue;
      }
      atomicWrite(path, value);
    }
  }

  async logMetrics(runId: string, metrics: Metric[]): Promise<void> {
    const dir = this.runDir(runId);
    for (const m of metrics) {
      checkKey(m.key, 'metric');
      checkMetric(m);
      const path = join(dir, 'metrics', ...m.key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      // One appendFileSync of a whole line: a crash leaves whole lines only.
      appendFileSync(path, `${m.timestamp ?? Date.now()} ${formatValue(m.value)} ${m.step}\n`);
    }
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const dir = this.runDir(runId);
    for (const [key, value] of Object.entries(tags)) {
      checkKey(key, 'tag');
      atomicWrite(join(dir, 'tags', ...key.split('/')), String(value));
    }
  }

  async logArtifact(runId: string, localPath: string, artifactPath = ''): Promise<void> {
    if (!existsSync(localPath) || !statSync(localPath).isFile())
      throw new TrackingError(`artifact ${localPath} is not a file.`, 'INVALID_PARAMETER_VALUE');
    const dest = join(this.runDir(runId), 'artifacts', artifactPath, basename(localPath));
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    copyFileSync(localPath, tmp);
    renameSync(tmp, dest);
  }

  async logArtifactBytes(runId: string, relativePath: string, data: Uint8Array | string): Promise<void> {
    atomicWrite(join(this.runDir(runId), 'artifacts', relativePath), data);
  }

  async readArtifact(runId: string, relativePath: string): Promise<Uint8Array> {
    const path = join(this.runDir(runId), 'artifacts', relativePath);
    if (!existsSync(path))
      throw new TrackingError(`run '${runId}' has no artifact '${relativePath}'.`, 'RESOURCE_DOES_NOT_EXIST');
    return new Uint8Array(readFileSync(path));
  }

  async endRun(runId: string, status: RunStatus = 'FINISHED', endTime = Date.now()): Promise<void> {
    const dir = this.runDir(runId);
    const meta = this.readMeta(dir);
    meta.status = STATUS_CODES[status];
    meta.end_time = endTime;
    atomicWrite(join(dir, 'meta.yaml'), YAML.stringify(meta));
  }

  async reopenRun(runId: string): Promise<void> {
    const dir = this.runDir(runId);
    const meta = this.readMeta(dir);
    meta.status = STATUS_CODES.RUNNING;
    meta.end_time = null;
    atomicWrite(join(dir, 'meta.yaml'), YAML.stringify(meta));
  }

  async getRun(runId: string): Promise<Run> {
    const dir = this.runDir(runId);
    const meta = this.readMeta(dir);
    const metrics: Record<string, number> = {};
    for (const [key, path] of walk(join(dir, 'metrics'))) {
      const lines = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);
      // Latest = largest step, then latest timestamp (MLflow's rule).
      let best: Metric | null = null;
      for (const l of lines) {
        const m = parseMetricLine(key, l);
        if (!best || m.step > best.step || (m.step === best.step && m.timestamp! >= best.timestamp!))
          best = m;
      }
      if (best) metrics[key] = best.value;
    }
    const read = (sub: string) =>
      Object.fromEntries([...walk(join(dir, sub))].map(([k, p]) => [k, readFileSync(p, 'utf8')]));
    return { info: toInfo(meta), params: read('params'), metrics, tags: read('tags') };
  }

  async searchRuns(experimentIds: string[], tags: Record<string, string> = {}): Promise<Run[]> {
    const out: Run[] = [];
    for (const id of experimentIds) {
      const d = join(this.root, id);
      if (!existsSync(d)) continue;
      for (const runId of readdirSync(d)) {
        if (!existsSync(join(d, runId, 'meta.yaml'))) continue;
        const run = await this.getRun(runId);
        // MLflow's default view (ACTIVE_ONLY): runs deleted with delete_run are not listed.
        if (run.info.lifecycleStage === 'deleted') continue;
        if (Object.entries(tags).every(([k, v]) => run.tags[k] === v)) out.push(run);
      }
    }
    return out.sort((a, b) => b.info.startTime - a.info.startTime);
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const path = join(this.runDir(runId), 'metrics', ...key.split('/'));
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => parseMetricLine(key, l));
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function parseMetricLine(key: string, line: string): Metric {
  const [ts, value, step] = line.split(' ');
  // MLflow writes Python's str(float): 'nan', 'inf', '-inf'.
  const v = value === 'nan' ? NaN : value === 'inf' ? Infinity : value === '-inf' ? -Infinity : Number(value);
  return { key, timestamp: Number(ts), value: v, step: Number(step ?? 0) };
}

function* walk(dir: string, prefix = ''): Generator<[string, string]> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (name.includes('.tmp-')) continue;
    const p = join(dir, name);
    const key = prefix ? `${prefix}/${name}` : name;
    if (statSync(p).isDirectory()) yield* walk(p, key);
    else yield [key, p];
  }
}

function toInfo(meta: RunMeta): RunInfo {
  return {
    runId: meta.run_id,
    experimentId: String(meta.experiment_id),
    runName: meta.run_name,
    status: STATUS_NAMES[meta.status] ?? 'RUNNING',
    startTime: meta.start_time,
    endTime: meta.end_time,
    artifactUri: meta.artifact_uri,
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}
