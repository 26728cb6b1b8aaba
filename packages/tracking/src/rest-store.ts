import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { redactUri, restOptionsFromEnv } from './rest-env.js';
import {
  checkMetric,
  checkRunId,
  localUser,
  MLFLOW_LIMITS,
  TrackingError,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type Tracker,
} from './types.js';

/** How {@link RestStore} talks to the server; MLflow's client variables fill what is left out. */
export interface RestOptions {
  /** Attempts for 5xx and network errors (default 5; MLFLOW_HTTP_REQUEST_MAX_RETRIES + 1). */
  retries?: number;
  /** First backoff in ms, doubled each retry (default 500; MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR s). */
  backoffMs?: number;
  /** Per-request timeout in ms (default 30000; MLFLOW_HTTP_REQUEST_TIMEOUT s). */
  timeoutMs?: number;
  /**
   * Extra headers (e.g. Authorization). Without one, MLFLOW_TRACKING_USERNAME and
   * MLFLOW_TRACKING_PASSWORD give Basic auth, else MLFLOW_TRACKING_TOKEN a Bearer token.
   */
  headers?: Record<string, string>;
  /** The fetch to use (tests pass a fake; default undici's, which takes the TLS options). */
  fetch?: typeof fetch;
  /** The environment MLflow's client variables are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

interface RawRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status: RunStatus;
    start_time?: string | number;
    end_time?: string | number;
    artifact_uri: string;
    lifecycle_stage?: string;
  };
  data?: {
    params?: { key: string; value: string }[];
    metrics?: { key: string; value: number }[];
    tags?: { key: string; value: string }[];
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tag of the client-made id that makes `createRun` safe to retry. */
export const CREATE_REQUEST_TAG = 'hybridspike.create_request_id';

interface WireMetric {
  key: string;
  value: number | string;
  step: number;
  timestamp: number;
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * MLflow REST API 2.0 client on `fetch`: experiments get-by-name/create, runs create/log-batch/
 * update/get/search, metric history, artifacts through the tracking server's proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/...`). 5xx and network errors are retried with
 * exponential backoff; 4xx errors quote MLflow's `error_code` and message.
 */
export class RestStore implements Tracker {
  private readonly base: string;
  private readonly o: Required<Omit<RestOptions, 'headers' | 'fetch' | 'env'>> & {
    headers: Record<string, string>;
    fetch: typeof fetch;
  };

  constructor(
    readonly uri: string,
    options: RestOptions = {},
  ) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(uri);
    } catch {
      /* reported by the first request, as every bad address is */
    }
    if (parsed && (parsed.username || parsed.password))
      throw new TrackingError(
        `the tracking URI ${redactUri(uri)} holds credentials; put the user name and password in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD instead (they are sent as Basic auth and never printed).`,
        'INVALID_PARAMETER_VALUE',
      );
    this.base = uri.replace(/\/+$/, '');
    const env = restOptionsFromEnv(options.env ?? process.env);
    const tls = env.tls;
    this.o = {
      retries: options.retries ?? env.retries ?? 5,
      backoffMs: options.backoffMs ?? env.backoffMs ?? 500,
      timeoutMs: options.timeoutMs ?? env.timeoutMs ?? 30_000,
      headers: { ...(env.authorization ? { Authorization: env.authorization } : {}), ...options.headers },
      fetch:
        options.fetch ??
        (tls
          ? (((input: string, init?: RequestInit) =>
              undiciFetch(input, {
                ...(init as object),
                dispatcher: new Agent({ connect: tls }),
              })) as unknown as typeof fetch)
          : fetch),
    };
  }

  private async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    raw?: Uint8Array,
    beforeRetry?: () => Promise<boolean>,
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    let lastError: unknown;
    let sentWithoutAnswer = false;
    for (let attempt = 0; attempt < this.o.retries; attempt++) {
      if (attempt > 0) await sleep(this.o.backoffMs * 2 ** (attempt - 1));
      // A request that reached the server but lost its answer may have acted: let the caller
      // check (and skip the resend) before sending a non-idempotent call again.
      if (sentWithoutAnswer && beforeRetry && (await beforeRetry()))
        return new Response('{}', { status: 200 });
      sentWithoutAnswer = false;
      let res: Response;
      try {
        res = await this.o.fetch(url, {
          method,
          headers: {
            ...this.o.headers,
            ...(raw
              ? { 'Content-Type': 'application/octet-stream' }
              : body !== undefined
                ? { 'Content-Type': 'application/json' }
                : {}),
          },
          body: (raw ?? (body !== undefined ? JSON.stringify(body) : undefined)) as BodyInit | undefined,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
      } catch (e) {
        const cause = describeFetchError(e, url);
        lastError = new TrackingError(cause.message, undefined, undefined, { cause: e });
        sentWithoutAnswer = cause.mayHaveActed;
        if (!cause.retry)
          throw new TrackingError(
            `MLflow server ${this.base}: ${cause.message}. Check MLFLOW_TRACKING_URI or unset it to log to ./mlruns.`,
            'UNREACHABLE',
            undefined,
            { cause: e },
          );
        continue;
      }
      if (res.status >= 500 || res.status === 429) {
        lastError = new TrackingError(
          `MLflow server ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`,
          undefined,
          res.status,
        );
        // A gateway may answer 5xx after MLflow acted (a proxy timeout, say): check before a resend.
        sentWithoutAnswer = res.status !== 429;
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        const sent = Boolean(this.o.headers.Authorization);
        throw new TrackingError(
          `MLflow server ${this.base} answered ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'} to ${method} ${path}: ${
            sent
              ? 'the credentials sent (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN) were refused, or lack the permission'
              : 'it needs credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)'
          }.`,
          res.status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
          res.status,
        );
      }
      if (res.status >= 400) {
        const text = await res.text();
        let code: string | undefined;
        let message = text;
        try {
          const j = JSON.parse(text) as { error_code?: string; message?: string };
          code = j.error_code;
          message = j.message ?? text;
        } catch {
          /* not JSON */
        }
        throw new TrackingError(
          `MLflow ${method} ${path} failed (${res.status}${code ? ` ${code}` : ''}): ${message}`,
          code,
          res.status,
        );
      }
      return res;
    }
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    // (a refused connection or a 5xx each time: the server is down or failing)
    throw new TrackingError(
      `MLflow server ${this.base} unreachable or failing after ${this.o.retries} attempts: ${why}. Check MLFLOW_TRACKING_URI or unset it to log to ./mlruns.`,
      undefined,
      undefined,
      { cause: lastError },
    );
  }

  private async json<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    beforeRetry?: () => Promise<boolean>,
  ): Promise<T> {
    const res = await this.request(method, path, body, undefined, beforeRetry);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    try {
      const r = await this.json<{ experiment: { experiment_id: string } }>(
        'GET',
        `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      );
      return r.experiment.experiment_id;
    } catch (e) {
      if (!(e instanceof TrackingError) || e.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    try {
      return (
        await this.json<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name })
      ).experiment_id;
    } catch (e) {
      // Another trial may have created it meanwhile.
      if (e instanceof TrackingError && e.errorCode === 'RESOURCE_ALREADY_EXISTS')
        return this.getOrCreateExperiment(name);
      throw e;
    }
  }

  async createRun(
    experimentId: string,
    options: { runName?: string; tags?: Record<string, string>; startTime?: number } = {},
  ): Promise<RunInfo> {
    const user = options.tags?.['mlflow.user'] ?? localUser();
    // A client-made id: if the answer to runs/create is lost, a retry first looks the run up by it
    // instead of creating a second run.
    const requestId = randomUUID();
    const tags = Object.entries({
      [CREATE_REQUEST_TAG]: requestId,
      ...(options.runName ? { 'mlflow.runName': options.runName } : {}),
      'mlflow.user': user,
      ...options.tags,
    }).map(([key, value]) => ({ key, value }));
    let found: RawRun | undefined;
    const created = async () => {
      const r = await this.json<{ runs?: RawRun[] }>('POST', '/api/2.0/mlflow/runs/search', {
        experiment_ids: [experimentId],
        filter: `tags.\`${CREATE_REQUEST_TAG}\` = '${requestId}'`,
        max_results: 1,
      });
      found = r.runs?.[0];
      return found !== undefined;
    };
    const body = {
      experiment_id: experimentId,
      user_id: user,
      start_time: options.startTime ?? Date.now(),
      run_name: options.runName,
      tags: tags.slice(0, MLFLOW_LIMITS.paramsAndTagsPerBatch),
    };
    const answer = await this.json<{ run?: RawRun }>('POST', '/api/2.0/mlflow/runs/create', body, created);
    const r = { run: found ?? answer.run! };
    if (tags.length > MLFLOW_LIMITS.paramsAndTagsPerBatch)
      await this.setTags(
        r.run.info.run_id,
        Object.fromEntries(tags.slice(MLFLOW_LIMITS.paramsAndTagsPerBatch).map((t) => [t.key, t.value])),
      );
    return toInfo(r.run);
  }

  private async logBatch(
    runId: string,
    part: { metrics?: WireMetric[]; params?: unknown[]; tags?: unknown[] },
  ): Promise<void> {
    const body = {
      run_id: runId,
      metrics: part.metrics ?? [],
      params: part.params ?? [],
      tags: part.tags ?? [],
    };
    // Params (same value) and tags are idempotent; metric points are appended, so before a resend
    // after a lost answer, drop the points the server already has (same key, step, timestamp).
    const dedupe = async () => {
      if (!body.metrics.length) return false;
      const have = new Set<string>();
      for (const key of new Set(body.metrics.map((m) => m.key))) {
        for (const m of await this.getMetricHistory(runId, key))
          have.add(`${key}\u0000${m.step}\u0000${m.timestamp}`);
      }
      body.metrics = body.metrics.filter((m) => !have.has(`${m.key}\u0000${m.step}\u0000${m.timestamp}`));
      return body.metrics.length === 0 && body.params.length === 0 && body.tags.length === 0;
    };
    await this.json('POST', '/api/2.0/mlflow/runs/log-batch', body, dedupe);
  }

  async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    const list = Object.entries(params).map(([key, v]) => {
      const value = String(v);
      if (value.length > MLFLOW_LIMITS.paramValueLength)
        throw new TrackingError(
          `param '${key}' is ${value.length} characters; MLflow allows ${MLFLOW_LIMITS.paramValueLength}.`,
          'INVALID_PARAMETER_VALUE',
        );
      return { key, value };
    });
    for (const part of chunk(list, MLFLOW_LIMITS.paramsAndTagsPerBatch))
      await this.logBatch(runId, { params: part });
  }

  async logMetrics(runId: string, metrics: Metric[]): Promise<void> {
    for (const m of metrics) checkMetric(m);
    // JSON has no NaN or Infinity (JSON.stringify writes null, which fails the whole batch):
    // MLflow's protobuf JSON takes them as the strings "NaN", "Infinity", "-Infinity".
    const list = metrics.map((m) => ({
      key: m.key,
      value: jsonDouble(m.value),
      step: m.step,
      timestamp: m.timestamp ?? Date.now(),
    }));
    for (const part of chunk(list, MLFLOW_LIMITS.metricsPerBatch))
      await this.logBatch(runId, { metrics: part });
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const list = Object.entries(tags).map(([key, value]) => ({
      key,
      value: String(value).slice(0, MLFLOW_LIMITS.tagValueLength),
    }));
    for (const part of chunk(list, MLFLOW_LIMITS.paramsAndTagsPerBatch))
      await this.logBatch(runId, { tags: part });
  }

  private async artifactPath(runId: string, relative: string): Promise<string> {
    const { info } = await this.getRun(runId);
    const m = /^mlflow-artifacts:(?:\/\/[^/]+)?\/(.*)$/.exec(info.artifactUri);
    if (!m) {
      throw new TrackingError(
        `run ${runId} stores artifacts at '${info.artifactUri}', which this client cannot write; start the server with --serve-artifacts (mlflow-artifacts:/ URIs).`,
        'INVALID_STATE',
      );
    }
    const rel = relative.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return `/api/2.0/mlflow-artifacts/artifacts/${m[1]!.replace(/\/+$/, '')}/${rel}`;
  }

  async logArtifact(runId: string, localPath: string, artifactPath = ''): Promise<void> {
    await this.logArtifactBytes(
      runId,
      [artifactPath, basename(localPath)].filter(Boolean).join('/'),
      new Uint8Array(readFileSync(localPath)),
    );
  }

  async logArtifactBytes(runId: string, relativePath: string, data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    await this.request('PUT', await this.artifactPath(runId, relativePath), undefined, bytes);
  }

  async readArtifact(runId: string, relativePath: string): Promise<Uint8Array> {
    const res = await this.request('GET', await this.artifactPath(runId, relativePath));
    return new Uint8Array(await res.arrayBuffer());
  }

  async endRun(runId: string, status: RunStatus = 'FINISHED', endTime = Date.now()): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status, end_time: endTime });
  }

  async reopenRun(runId: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'RUNNING' });
  }

  async getRun(runId: string): Promise<Run> {
    checkRunId(runId);
    const r = await this.json<{ run: RawRun }>(
      'GET',
      `/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`,
    );
    return toRun(r.run);
  }

  async searchRuns(experimentIds: string[], tags: Record<string, string> = {}): Promise<Run[]> {
    const filter = Object.entries(tags)
      .map(([k, v]) => `tags.\`${k}\` = '${v.replace(/'/g, "\\'")}'`)
      .join(' and ');
    const out: Run[] = [];
    let token: string | undefined;
    do {
      const r = await this.json<{ runs?: RawRun[]; next_page_token?: string }>(
        'POST',
        '/api/2.0/mlflow/runs/search',
        {
          experiment_ids: experimentIds,
          filter,
          max_results: 1000,
          page_token: token,
        },
      );
      out.push(...(r.runs ?? []).map(toRun));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const r = await this.json<{
      metrics?: { key: string; value: number; step?: string | number; timestamp?: string | number }[];
    }>(
      'GET',
      `/api/2.0/mlflow/metrics/get-history?run_id=${encodeURIComponent(runId)}&metric_key=${encodeURIComponent(key)}`,
    );
    return (r.metrics ?? []).map((m) => ({
      key: m.key,
      value: Number(m.value),
      step: Number(m.step ?? 0),
      timestamp: Number(m.timestamp ?? 0),
    }));
  }
}

/** A double for MLflow's JSON: finite numbers as they are, NaN and infinities as its strings. */
export function jsonDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/**
 * What went wrong with a request that got no HTTP answer, in words, and whether trying again can
 * help: a refused connection (a server restarting) or a timeout can; an unknown host or a
 * malformed address cannot.
 */
export function describeFetchError(
  e: unknown,
  url: string,
): { message: string; retry: boolean; mayHaveActed: boolean } {
  const err = e as Error & { cause?: NodeJS.ErrnoException & { hostname?: string } };
  const code = err.cause?.code ?? (err as NodeJS.ErrnoException).code;
  const where = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (
    typeof code === 'string' &&
    /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code)
  ) {
    const plain = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO';
    return {
      message: plain
        ? `TLS handshake with ${where} failed (${code}): the server does not speak https there; if it is a plain http server, use http:// in MLFLOW_TRACKING_URI`
        : `TLS certificate of ${where} not accepted (${code}): point MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle, or set MLFLOW_TRACKING_INSECURE_TLS=true for a test server`,
      retry: false,
      mayHaveActed: false,
    };
  }
  switch (code) {
    case 'ECONNREFUSED':
      return {
        message: `connection refused by ${where} (nothing listens there, or the server is restarting)`,
        retry: true,
        mayHaveActed: false,
      };
    case 'ENOTFOUND':
      return { message: `host name not found (DNS) for ${where}`, retry: false, mayHaveActed: false };
    case 'EAI_AGAIN':
      return {
        message: `DNS lookup for ${where} failed for now (EAI_AGAIN)`,
        retry: true,
        mayHaveActed: false,
      };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { message: `connection to ${where} dropped (${code})`, retry: true, mayHaveActed: true };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { message: `connecting to ${where} timed out`, retry: true, mayHaveActed: code === 'ETIMEDOUT' };
    case 'ERR_INVALID_URL':
    case 'ERR_INVALID_ARG_VALUE':
      return {
        message: `'${url}' is not a valid address (${err.cause?.message ?? err.message})`,
        retry: false,
        mayHaveActed: false,
      };
    default:
      break;
  }
  if (err.cause?.message === 'bad port') {
    return {
      message: `port ${where.split(':').pop()} is on the Fetch standard's list of blocked ("bad") ports, so no request is ever sent; run MLflow on another port (5000 is usual)`,
      retry: false,
      mayHaveActed: false,
    };
  }
  if (err.name === 'TimeoutError' || err.name === 'AbortError')
    return {
      message: `no answer from ${where} within the request timeout${
        url.startsWith('https:')
          ? ' (if that port serves plain http, an https request waits for a handshake that never comes: use http://)'
          : ''
      }`,
      retry: true,
      mayHaveActed: true,
    };
  if (err instanceof TypeError && /URL|port/i.test(`${err.message} ${err.cause?.message ?? ''}`)) {
    return {
      message: `'${url}' is not a valid address (${err.cause?.message ?? err.message})`,
      retry: false,
      mayHaveActed: false,
    };
  }
  return {
    message: `${err.message}${err.cause?.message ? ` (${err.cause.message})` : ''}`,
    retry: true,
    mayHaveActed: true,
  };
}

function toInfo(r: RawRun): RunInfo {
  return {
    runId: r.info.run_id,
    experimentId: String(r.info.experiment_id),
    runName: r.info.run_name ?? '',
    status: r.info.status,
    startTime: Number(r.info.start_time ?? 0),
    endTime: r.info.end_time === undefined ? null : Number(r.info.end_time),
    artifactUri: r.info.artifact_uri,
    lifecycleStage: r.info.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

function toRun(r: RawRun): Run {
  const kv = (xs?: { key: string; value: string }[]) =>
    Object.fromEntries((xs ?? []).map((x) => [x.key, x.value]));
  return {
    info: toInfo(r),
    params: kv(r.data?.params),
    metrics: Object.fromEntries((r.data?.metrics ?? []).map((m) => [m.key, Number(m.value)])),
    tags: kv(r.data?.tags),
  };
}
