import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * An in-process server that keeps MLflow's REST semantics for what hybridspike calls
 * (experiments, runs, log-batch limits and validation, metric history, the artifact proxy), for
 * tests. `failNext(n)` answers the next n requests 503; `dropAfterActing(path, n)` acts on the
 * next n requests to `path`, then hangs up without answering; `requireAuth(header)` answers 401
 * to requests without that Authorization header.
 */
/** A local server speaking MLflow's REST JSON, with the limits and errors of the real one. */
export function fakeMlflow() {
  const experiments = new Map<string, string>();
  const runs = new Map<
    string,
    {
      info: Record<string, unknown>;
      params: Map<string, string>;
      metrics: { key: string; value: number; step: number; timestamp: number }[];
      tags: Map<string, string>;
    }
  >();
  const artifacts = new Map<string, Buffer>();
  const calls: { path: string; body: unknown }[] = [];
  let failNext = 0;
  // Act on the next request to a path ending in `drop.path`, then hang up without answering.
  const drop = { path: '', count: 0 };
  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((r) => {
      const parts: Buffer[] = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => r(Buffer.concat(parts)));
    });
  let auth: string | null = null;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (auth !== null && req.headers.authorization !== auth) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="mlflow"' });
      res.end('You are not authenticated.');
      return;
    }
    const raw = await body(req);
    const json =
      raw.length && req.headers['content-type'] === 'application/json'
        ? JSON.parse(raw.toString())
        : undefined;
    calls.push({ path: url.pathname, body: json });
    const send = (code: number, obj: unknown) => {
      if (drop.count > 0 && drop.path && url.pathname.endsWith(drop.path)) {
        drop.count--;
        res.socket?.destroy();
        return;
      }
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const err = (code: number, error_code: string, message: string) => send(code, { error_code, message });
    if (failNext > 0) {
      failNext--;
      return send(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
    }
    const p = url.pathname;
    if (p === '/api/2.0/mlflow/experiments/get-by-name') {
      const id = experiments.get(url.searchParams.get('experiment_name')!);
      return id
        ? send(200, { experiment: { experiment_id: id } })
        : err(404, 'RESOURCE_DOES_NOT_EXIST', 'Could not find experiment');
    }
    if (p === '/api/2.0/mlflow/experiments/create') {
      const id = String(experiments.size + 1);
      experiments.set(json.name, id);
      return send(200, { experiment_id: id });
    }
    if (p === '/api/2.0/mlflow/runs/create') {
      const id = `r${runs.size}`.padEnd(32, '0');
      const info = {
        run_id: id,
        experiment_id: json.experiment_id,
        run_name: json.run_name,
        status: 'RUNNING',
        start_time: String(json.start_time),
        artifact_uri: `mlflow-artifacts:/${json.experiment_id}/${id}/artifacts`,
      };
      runs.set(id, {
        info,
        params: new Map(),
        metrics: [],
        tags: new Map((json.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])),
      });
      return send(200, { run: { info, data: {} } });
    }
    if (p === '/api/2.0/mlflow/runs/log-batch') {
      const run = runs.get(json.run_id);
      if (!run) return err(404, 'RESOURCE_DOES_NOT_EXIST', 'no run');
      if (json.metrics.length > 1000)
        return err(
          400,
          'INVALID_PARAMETER_VALUE',
          'A batch logging request can contain at most 1000 metrics',
        );
      if (json.params.length + json.tags.length > 100)
        return err(
          400,
          'INVALID_PARAMETER_VALUE',
          'A batch logging request can contain at most 100 params and tags',
        );
      // MLflow's protobuf JSON: a double is a number or one of the strings NaN / Infinity / -Infinity.
      for (const m of json.metrics) {
        if (typeof m.value === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(m.value)) continue;
        if (typeof m.value !== 'number')
          return err(
            400,
            'INVALID_PARAMETER_VALUE',
            `Missing value for required parameter 'metrics[].value'`,
          );
      }
      for (const q of json.params) {
        const old = run.params.get(q.key);
        if (old !== undefined && old !== q.value)
          return err(
            400,
            'INVALID_PARAMETER_VALUE',
            `Changing param values is not allowed. Param with key='${q.key}' was already logged with value='${old}'`,
          );
        run.params.set(q.key, q.value);
      }
      for (const t of json.tags) run.tags.set(t.key, t.value);
      run.metrics.push(...json.metrics);
      return send(200, {});
    }
    if (p === '/api/2.0/mlflow/runs/update') {
      Object.assign(runs.get(json.run_id)!.info, {
        status: json.status,
        ...(json.end_time !== undefined ? { end_time: String(json.end_time) } : {}),
      });
      return send(200, {});
    }
    const toRaw = (r: NonNullable<ReturnType<typeof runs.get>>) => ({
      info: r.info,
      data: {
        params: [...r.params].map(([key, value]) => ({ key, value })),
        tags: [...r.tags].map(([key, value]) => ({ key, value })),
        metrics: r.metrics,
      },
    });
    if (p === '/api/2.0/mlflow/runs/get') {
      const r = runs.get(url.searchParams.get('run_id')!);
      return r ? send(200, { run: toRaw(r) }) : err(404, 'RESOURCE_DOES_NOT_EXIST', 'no run');
    }
    if (p === '/api/2.0/mlflow/runs/search') {
      const m = /tags\.`([^`]+)` = '([^']*)'/.exec(json.filter ?? '');
      return send(200, {
        runs: [...runs.values()]
          .filter(
            (r) => json.experiment_ids.includes(r.info.experiment_id) && (!m || r.tags.get(m[1]!) === m[2]),
          )
          .map(toRaw),
      });
    }
    if (p === '/api/2.0/mlflow/metrics/get-history') {
      const r = runs.get(url.searchParams.get('run_id')!)!;
      return send(200, { metrics: r.metrics.filter((x) => x.key === url.searchParams.get('metric_key')) });
    }
    if (p.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      if (req.method === 'PUT') {
        artifacts.set(p, raw);
        return send(200, {});
      }
      const a = artifacts.get(p);
      if (!a) return err(404, 'RESOURCE_DOES_NOT_EXIST', 'no artifact');
      res.writeHead(200);
      return res.end(a);
    }
    return err(404, 'ENDPOINT_NOT_FOUND', p);
  });
  return {
    server,
    calls,
    runs,
    artifacts,
    failNext: (n: number) => (failNext = n),
    dropAfterActing: (path: string, n = 1) => Object.assign(drop, { path, count: n }),
    requireAuth: (header: string | null) => (auth = header),
  };
}
