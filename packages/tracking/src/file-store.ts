import { randomInt, randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  appendFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import YAML from 'yaml';
import {
  checkExperimentId,
  checkMetric,
  checkRunId,
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

/**
 * Writes a file atomically (temp file, then rename). On failure (a full disk, say) the temp file
 * is removed and the error names the file it was writing: Node's own error for a failed `write`
 * carries no path.
 */
function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    err.path ??= path;
    throw err;
  }
}

/** A store file that cannot be read as MLflow writes it: the error names the file. */
function corrupt(path: string, why: string): TrackingError {
  return new TrackingError(
    `${path} is corrupt (${why}); repair or delete it (the rest of the store is still used).`,
    'CORRUPT_STORE',
  );
}

/** Reads a `meta.yaml`; a missing field, empty file or bad YAML is a {@link corrupt} error. */
function readYaml<T>(path: string, required: string[]): T {
  let v: unknown;
  try {
    v = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw corrupt(path, (e as Error).message.split('\n')[0]!);
  }
  if (v === null || typeof v !== 'object') throw corrupt(path, 'empty or not a mapping');
  const missing = required.filter((k) => !(k in (v as object)));
  if (missing.length) throw corrupt(path, `no ${missing.join(', ')}`);
  return v as T;
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

/** An artifact path inside the run's artifacts folder: relative, no '..'. */
function checkArtifactPath(rel: string): void {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..'))
    throw new TrackingError(
      `artifact path '${rel}' leaves the run's artifacts folder; use a relative path without '..'.`,
      'INVALID_PARAMETER_VALUE',
    );
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

/** Options of a {@link FileStore}. */
export interface FileStoreOptions {
  /**
   * Where a skipped, corrupt file of the store is reported (default: stderr, once per message).
   * A broken `meta.yaml` or metric file makes its run or experiment invisible, never the store.
   */
  onWarning?: (message: string) => void;
}

/** How long an experiment-creation lock may be held before another process takes it over. */
const CREATE_LOCK_STALE_MS = 30_000;

/**
 * MLflow's local FileStore (what `mlflow ui` reads from ./mlruns), written directly: experiment
 * folders with `meta.yaml`, run folders with `meta.yaml`, `params/`, `metrics/` (lines
 * `<ms> <value> <step>`), `tags/`, `artifacts/`. Keys with '/' become sub-folders; every file
 * write is atomic (temp file + rename), metric lines are appended whole. Run and experiment ids
 * are checked before they touch a path; a corrupt run or experiment is skipped and named.
 */
export class FileStore implements Tracker {
  readonly root: string;
  private readonly warn: (message: string) => void;
  constructor(root = './mlruns', options: FileStoreOptions = {}) {
    this.root = resolve(root.startsWith('file:') ? fileURLToPath(root) : root);
    const seen = new Set<string>();
    this.warn =
      options.onWarning ??
      ((m) => {
        if (seen.has(m)) return;
        seen.add(m);
        console.error(`[hybridspike] warning: ${m}`);
      });
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

  /** Each experiment's meta (id, name, stage) under `dir`; a corrupt one is skipped and named. */
  private experimentMetas(dir: string, ids: string[]): { id: string; name: string; stage: string }[] {
    const out: { id: string; name: string; stage: string }[] = [];
    for (const id of ids) {
      try {
        const m = readYaml<{ name: unknown; lifecycle_stage?: unknown }>(join(dir, id, 'meta.yaml'), [
          'name',
        ]);
        out.push({ id, name: String(m.name), stage: String(m.lifecycle_stage ?? 'active') });
      } catch (e) {
        this.warn(`skipped experiment ${id}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** Experiments moved to `.trash/` by MLflow's `delete_experiment`: their ids and names are taken. */
  private trashedExperiments(): { id: string; name: string }[] {
    const trash = join(this.root, '.trash');
    if (!existsSync(trash)) return [];
    const ids = readdirSync(trash).filter((d) => existsSync(join(trash, d, 'meta.yaml')));
    return this.experimentMetas(trash, ids);
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    const found = this.findExperiment(name);
    if (found) return found;
    // Two processes creating the same name at once must agree on one experiment: the lookup
    // and the creation happen under a lock file (MLflow ignores files in the store's root).
    const release = await this.lockCreation();
    try {
      return this.findExperiment(name) ?? this.createExperiment(name);
    } finally {
      release();
    }
  }

  private findExperiment(name: string): string | null {
    for (const e of this.experimentMetas(this.root, this.experimentIds())) {
      if (e.name !== name) continue;
      if (e.stage !== 'active')
        throw new TrackingError(
          `experiment '${name}' is deleted; restore it or pick another name.`,
          'INVALID_STATE',
        );
      return e.id;
    }
    return null;
  }

  private createExperiment(name: string): string {
    const trashed = this.trashedExperiments();
    const deleted = trashed.find((e) => e.name === name);
    if (deleted) {
      throw new TrackingError(
        `experiment '${name}' was deleted (it is in ${join(this.root, '.trash', deleted.id)}); restore it (mlflow experiments restore --experiment-id ${deleted.id}), remove it for good (mlflow gc), or use another name.`,
        'RESOURCE_ALREADY_EXISTS',
      );
    }
    // MLflow's scheme: a random 18-digit decimal id (a string), never a reused or computed one.
    const taken = new Set([...readdirSync(this.root), ...trashed.map((e) => e.id)]);
    let id: string;
    do id = String(randomInt(1, 10)) + Array.from({ length: 17 }, () => randomInt(0, 10)).join('');
    while (taken.has(id));
    this.writeExperiment(id, name);
    return id;
  }

  /** An O_EXCL lock file in the store's root; one left by a dead or stuck process expires. */
  private async lockCreation(): Promise<() => void> {
    const path = join(this.root, '.hybridspike-create.lock');
    mkdirSync(this.root, { recursive: true });
    const token = `${hostname()} ${process.pid} ${randomUUID()}`;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, token);
        closeSync(fd);
        return () => {
          try {
            if (readFileSync(path, 'utf8') === token) unlinkSync(path);
          } catch {
            /* already gone */
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      try {
        if (Date.now() - statSync(path).mtimeMs > CREATE_LOCK_STALE_MS) rmSync(path, { force: true });
      } catch {
        /* released meanwhile */
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private runDir(runId: string): string {
    checkRunId(runId);
    for (const id of this.experimentIds()) {
      const d = join(this.root, id, runId);
      if (existsSync(join(d, 'meta.yaml'))) return d;
    }
    throw new TrackingError(`run '${runId}' not found in ${this.root}.`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private readMeta(dir: string): RunMeta {
    return readYaml<RunMeta>(join(dir, 'meta.yaml'), ['run_id', 'experiment_id', 'status', 'start_time']);
  }

  async createRun(
    experimentId: string,
    options: { runName?: string; tags?: Record<string, string>; startTime?: number } = {},
  ): Promise<RunInfo> {
    checkExperimentId(experimentId);
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
    try {
      for (const sub of ['params', 'metrics', 'tags', 'artifacts'])
        mkdirSync(join(dir, sub), { recursive: true });
      atomicWrite(join(dir, 'meta.yaml'), YAML.stringify(meta));
      await this.setTags(runId, { 'mlflow.runName': runName, 'mlflow.user': meta.user_id, ...options.tags });
    } catch (e) {
      // A half-made run (no meta.yaml, or no tags) is nobody's: leave nothing behind.
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
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
      try {
        mkdirSync(dirname(path), { recursive: true });
        // One appendFileSync of a whole line: a crash leaves whole lines only.
        appendFileSync(path, `${m.timestamp ?? Date.now()} ${formatValue(m.value)} ${m.step}\n`);
      } catch (e) {
        (e as NodeJS.ErrnoException).path ??= path;
        throw e;
      }
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
    checkArtifactPath(artifactPath);
    if (!existsSync(localPath) || !statSync(localPath).isFile())
      throw new TrackingError(`artifact ${localPath} is not a file.`, 'INVALID_PARAMETER_VALUE');
    const dest = join(this.runDir(runId), 'artifacts', artifactPath, basename(localPath));
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    try {
      copyFileSync(localPath, tmp);
      renameSync(tmp, dest);
    } catch (e) {
      rmSync(tmp, { force: true });
      (e as NodeJS.ErrnoException).path ??= dest;
      throw e;
    }
  }

  async logArtifactBytes(runId: string, relativePath: string, data: Uint8Array | string): Promise<void> {
    checkArtifactPath(relativePath);
    atomicWrite(join(this.runDir(runId), 'artifacts', relativePath), data);
  }

  async readArtifact(runId: string, relativePath: string): Promise<Uint8Array> {
    checkArtifactPath(relativePath);
    const path = join(this.runDir(runId), 'artifacts', relativePath);
    if (!existsSync(path) || !statSync(path).isFile())
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
      // Latest = largest step, then latest timestamp (MLflow's rule).
      let best: Metric | null = null;
      for (const m of readMetricFile(key, path))
        if (!best || m.step > best.step || (m.step === best.step && m.timestamp! >= best.timestamp!))
          best = m;
      if (best) metrics[key] = best.value;
    }
    const read = (sub: string) =>
      Object.fromEntries([...walk(join(dir, sub))].map(([k, p]) => [k, readFileSync(p, 'utf8')]));
    return { info: toInfo(meta), params: read('params'), metrics, tags: read('tags') };
  }

  async searchRuns(experimentIds: string[], tags: Record<string, string> = {}): Promise<Run[]> {
    const out: Run[] = [];
    for (const id of experimentIds) {
      checkExperimentId(id);
      const d = join(this.root, id);
      if (!existsSync(d)) continue;
      for (const runId of readdirSync(d)) {
        if (!existsSync(join(d, runId, 'meta.yaml'))) continue;
        let run: Run;
        try {
          run = await this.getRun(runId);
        } catch (e) {
          // One broken run must not hide the others, nor be read as numbers it does not hold.
          if (!(e instanceof TrackingError)) throw e;
          this.warn(`skipped run ${runId}: ${e.message}`);
          continue;
        }
        // MLflow's default view (ACTIVE_ONLY): runs deleted with delete_run are not listed.
        if (run.info.lifecycleStage === 'deleted') continue;
        if (Object.entries(tags).every(([k, v]) => run.tags[k] === v)) out.push(run);
      }
    }
    return out.sort((a, b) => b.info.startTime - a.info.startTime);
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkKey(key, 'metric');
    const path = join(this.runDir(runId), 'metrics', ...key.split('/'));
    if (!existsSync(path)) return [];
    return readMetricFile(key, path);
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** Python's str(float) as MLflow writes it (and ints): anything else is not a value. */
const METRIC_VALUE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The lines of one metric file; a line MLflow could not have written is a {@link corrupt} error. */
function readMetricFile(key: string, path: string): Metric[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter((l) => l.line)
    .map(({ line, n }) => {
      const [ts, value, step, extra] = line.split(/\s+/);
      // MLflow writes Python's str(float): 'nan', 'inf', '-inf'.
      const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
      const v = value !== undefined && value in special ? special[value]! : Number(value);
      const ok =
        extra === undefined &&
        /^\d+$/.test(ts ?? '') &&
        (step === undefined || /^-?\d+$/.test(step)) &&
        value !== undefined &&
        (value in special || METRIC_VALUE.test(value));
      if (!ok) throw corrupt(`${path}:${n}`, `'${line.slice(0, 80)}' is not '<timestamp> <value> <step>'`);
      return { key, timestamp: Number(ts), value: v, step: Number(step ?? 0) };
    });
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
