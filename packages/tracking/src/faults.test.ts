import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, MetricQueue, RestStore, TrackingError, type Metric, type Tracker } from './index.js';
import { CREATE_REQUEST_TAG } from './rest-store.js';
import { fakeMlflow, faultProxy } from './testing.js';

const listen = async (s: ReturnType<typeof createServer>) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

describe('run records are untrusted: ids never leave the store', () => {
  const root = join(mkdtempSync(join(tmpdir(), 'hs-ids-')), 'mlruns');
  const store = new FileStore(root);

  it('refuses run ids and experiment ids that are paths, before touching the disk', async () => {
    // A folder outside the store shaped like a run: the old store opened it.
    const outside = join(root, '..', 'fake');
    mkdirSync(join(outside, 'artifacts'), { recursive: true });
    writeFileSync(join(outside, 'meta.yaml'), 'run_id: x\nexperiment_id: "0"\nstatus: 3\nstart_time: 1\n');
    for (const id of ['../fake', '../../fake', '/etc', 'a/b', '..', '.', ''])
      await expect(store.getRun(id)).rejects.toThrow(/is not a run id/);
    await expect(store.readArtifact('../fake', 'x')).rejects.toThrow(/is not a run id/);
    await expect(store.searchRuns(['../..'])).rejects.toThrow(/not an experiment id/);
    await expect(store.createRun('../x')).rejects.toThrow(/not an experiment id/);
    const rest = new RestStore('http://127.0.0.1:9', { retries: 1 });
    await expect(rest.getRun('../x')).rejects.toThrow(/is not a run id/);
  });

  it('refuses artifact paths that leave the run', async () => {
    const exp = await store.getOrCreateExperiment('art');
    const run = await store.createRun(exp);
    await expect(store.logArtifactBytes(run.runId, '../../meta.yaml', 'x')).rejects.toThrow(/leaves the run/);
    await expect(store.readArtifact(run.runId, '../meta.yaml')).rejects.toThrow(/leaves the run/);
    await expect(store.readArtifact(run.runId, '/etc/passwd')).rejects.toThrow(/leaves the run/);
  });
});

describe('a damaged ./mlruns is skipped and named, never read as numbers', () => {
  it('a non-numeric metric value makes the run unreadable (named), not NaN', async () => {
    const warnings: string[] = [];
    const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'hs-nan-')), 'mlruns'), {
      onWarning: (m) => warnings.push(m),
    });
    const exp = await store.getOrCreateExperiment('e');
    const good = await store.createRun(exp);
    const bad = await store.createRun(exp);
    await store.logMetrics(good.runId, [{ key: 'acc', value: 0.5, step: 1 }]);
    await store.logMetrics(bad.runId, [{ key: 'acc', value: 0.4, step: 1 }]);
    writeFileSync(join(store.root, exp, bad.runId, 'metrics', 'acc'), '1700000000000 0.9x 1\n');
    await expect(store.getRun(bad.runId)).rejects.toThrow(
      /metrics\/acc:1 is corrupt .*'1700000000000 0\.9x 1'/,
    );
    const runs = await store.searchRuns([exp]);
    expect(runs.map((r) => r.info.runId)).toEqual([good.runId]);
    expect(warnings.join('\n')).toMatch(new RegExp(`skipped run ${bad.runId}: .*metrics/acc:1 is corrupt`));
    // What MLflow itself writes still reads: ints, exponents, nan / inf.
    writeFileSync(
      join(store.root, exp, bad.runId, 'metrics', 'acc'),
      '1 1e-05 1\n2 nan 2\n3 -inf 3\n4 3 4\n',
    );
    expect((await store.getMetricHistory(bad.runId, 'acc')).map((m) => m.value)).toEqual([
      1e-5,
      NaN,
      -Infinity,
      3,
    ]);
  });

  it('a broken or empty meta.yaml hides its run or experiment only, and names the file', async () => {
    const warnings: string[] = [];
    const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'hs-meta-')), 'mlruns'), {
      onWarning: (m) => warnings.push(m),
    });
    const exp = await store.getOrCreateExperiment('e');
    const ok = await store.createRun(exp);
    const broken = await store.createRun(exp);
    writeFileSync(join(store.root, exp, broken.runId, 'meta.yaml'), '');
    expect((await store.searchRuns([exp])).map((r) => r.info.runId)).toEqual([ok.runId]);
    expect(warnings.join('\n')).toMatch(/skipped run .*meta\.yaml is corrupt \(empty or not a mapping\)/);
    // A broken experiment: others are still found and created.
    const other = await store.getOrCreateExperiment('other');
    writeFileSync(join(store.root, other, 'meta.yaml'), 'name: [unclosed');
    expect(await store.getOrCreateExperiment('e')).toBe(exp);
    expect(await store.getOrCreateExperiment('third')).toMatch(/^\d+$/);
    expect(warnings.join('\n')).toMatch(
      new RegExp(`skipped experiment ${other}: .*${other}/meta\\.yaml is corrupt`),
    );
  });

  it('a run that cannot be created completely leaves no folder behind', async () => {
    const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'hs-half-')), 'mlruns'));
    const exp = await store.getOrCreateExperiment('e');
    await expect(store.createRun(exp, { tags: { 'bad/../tag': 'x' } })).rejects.toThrow(/invalid tag name/);
    expect(readdirSync(join(store.root, exp))).toEqual(['meta.yaml']);
  });

  it('two processes creating one experiment at the same instant agree on one', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'hs-race-')), 'mlruns');
    new FileStore(root);
    const src = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `import { FileStore } from ${JSON.stringify(src)};
      const at = Number(process.argv[1]); while (Date.now() < at) {}
      console.log(await new FileStore(${JSON.stringify(root)}).getOrCreateExperiment('same'));`;
    const at = Date.now() + 1500;
    const ids = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((ok, fail) => {
            const child = spawn(process.execPath, [
              '--import',
              'tsx',
              '--input-type=module',
              '-e',
              script,
              String(at),
            ]);
            let out = '';
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (out += d));
            child.on('exit', (code) => (code === 0 ? ok(out.trim()) : fail(new Error(out))));
          }),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    expect(readdirSync(root).filter((d) => /^\d+$/.test(d) && d !== '0')).toEqual([ids[0]]);
  }, 30_000);
});

describe('REST faults behind a proxy', () => {
  const fake = fakeMlflow();
  let uri = '';
  beforeAll(async () => {
    uri = await listen(fake.server);
  });
  afterAll(() => fake.server.close());

  it('a gateway answering 502 after MLflow acted leaves one run per createRun', async () => {
    // Every third request reaches MLflow, which acts, and the client hears 502.
    const proxy = await faultProxy(uri, (r) => (r.n % 3 === 0 ? { status: 502, after: true } : 'pass'));
    try {
      const t = new RestStore(proxy.url, { backoffMs: 1 });
      const exp = await t.getOrCreateExperiment('gw');
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push((await t.createRun(exp, { runName: `r${i}` })).runId);
      const runs = [...fake.runs.values()].filter((r) => r.info.experiment_id === exp);
      const byRequest = new Map<string, number>();
      for (const r of runs) {
        const id = r.tags.get(CREATE_REQUEST_TAG)!;
        byRequest.set(id, (byRequest.get(id) ?? 0) + 1);
      }
      expect(runs.length).toBe(6);
      expect([...byRequest.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(ids).size).toBe(6);
      expect(
        proxy.log.some((l) => typeof l.fault === 'object' && l.request.path.endsWith('runs/create')),
      ).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('metrics logged during an outage are held and sent once when the server is back', async () => {
    const proxy = await faultProxy(uri);
    try {
      const t = new RestStore(proxy.url, { retries: 2, backoffMs: 10 });
      const exp = await t.getOrCreateExperiment('outage');
      const run = await t.createRun(exp);
      const errors: string[] = [];
      const q = new MetricQueue(t, run.runId, { onError: (m) => errors.push(m), backoffMs: 100 });
      q.add([{ key: 'loss', value: 1, step: 1 }]);
      await q.flush(1000);
      await proxy.stop();
      q.add([{ key: 'loss', value: 0.5, step: 2 }]);
      q.add([{ key: 'loss', value: 0.25, step: 3 }]);
      await new Promise((r) => setTimeout(r, 200));
      expect(q.size).toBe(2);
      setTimeout(() => void proxy.start(), 500);
      await q.flush(10_000);
      expect(errors.length).toBe(1);
      expect(errors[0]).toMatch(/2 batch\(es\) held|1 batch\(es\) held/);
      expect((await t.getMetricHistory(run.runId, 'loss')).map((m) => m.step)).toEqual([1, 2, 3]);
    } finally {
      await proxy.close();
    }
  });

  it('a queue whose server never comes back fails at flush with what was not logged, never before', async () => {
    const dead: Tracker = {
      uri: 'http://down',
      logMetrics: async () => {
        throw new TrackingError('connection refused', undefined, undefined);
      },
    } as unknown as Tracker;
    const q = new MetricQueue(dead, 'r1', { onError: () => undefined, backoffMs: 10 });
    const m: Metric[] = [{ key: 'a', value: 1, step: 1 }];
    q.add(m);
    q.add(m);
    await expect(q.flush(50)).rejects.toThrow(/2 metric point\(s\) of run r1 could not be logged .*rerun it/);
  });

  it('sends Basic auth from MLFLOW_TRACKING_USERNAME / _PASSWORD; a 401 says which variables to set', async () => {
    const header = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    fake.requireAuth(header);
    try {
      const anon = new RestStore(uri, { retries: 1, env: {} });
      await expect(anon.getOrCreateExperiment('auth')).rejects.toThrow(
        /401 Unauthorized .*set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/,
      );
      const wrong = new RestStore(uri, {
        retries: 1,
        env: { MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 'nope' },
      });
      const e = await wrong.getOrCreateExperiment('auth').catch((x: Error) => x);
      expect(String(e)).toMatch(/credentials sent .* were refused/);
      expect(String(e)).not.toMatch(/nope/);
      const ok = new RestStore(uri, {
        env: { MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 's3cret' },
      });
      expect(await ok.getOrCreateExperiment('auth')).toMatch(/\d+/);
    } finally {
      fake.requireAuth(null);
    }
  });

  it("reads MLflow's client variables and never prints a secret", () => {
    expect(() => new RestStore('http://bob:hunter2@127.0.0.1:5000', { env: {} })).toThrow(
      /holds credentials; .*MLFLOW_TRACKING_USERNAME/,
    );
    try {
      new RestStore('http://bob:hunter2@127.0.0.1:5000', { env: {} });
    } catch (e) {
      expect(String(e)).not.toMatch(/hunter2/);
      expect(String(e)).toMatch(/bob:\*\*\*@/);
    }
    expect(() => new RestStore(uri, { env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' } })).toThrow(
      /MLFLOW_HTTP_REQUEST_MAX_RETRIES='many' is not a number/,
    );
    expect(() => new RestStore(uri, { env: { MLFLOW_TRACKING_USERNAME: 'x' } })).toThrow(/set both/);
    expect(
      () =>
        new RestStore(uri, {
          env: { MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: '/nonexistent.pem' },
        }),
    ).toThrow(/MLFLOW_TRACKING_SERVER_CERT_PATH=\/nonexistent\.pem: cannot read it/);
  });

  it('MLFLOW_HTTP_REQUEST_MAX_RETRIES and _TIMEOUT bound a request to a silent server', async () => {
    const silent = createServer(() => undefined);
    const silentUri = await listen(silent);
    try {
      const t = new RestStore(silentUri, {
        backoffMs: 1,
        env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_TIMEOUT: '0.2' },
      });
      const t0 = Date.now();
      await expect(t.getOrCreateExperiment('x')).rejects.toThrow(/after 2 attempts: .*no answer/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('https to a plain-http port fails at once with a hint about TLS', async () => {
    const plain = createServer((_q, s) => s.end('hi'));
    const plainUri = await listen(plain);
    try {
      const t = new RestStore(plainUri.replace('http:', 'https:'), { backoffMs: 1 });
      const t0 = Date.now();
      await expect(t.getOrCreateExperiment('x')).rejects.toThrow(/does not speak https .*use http:\/\//);
      expect(Date.now() - t0).toBeLessThan(5000);
      // With MLFLOW_TRACKING_INSECURE_TLS the request goes through undici's own agent: same hint.
      const insecure = new RestStore(plainUri.replace('http:', 'https:'), {
        backoffMs: 1,
        env: { MLFLOW_TRACKING_INSECURE_TLS: 'true' },
      });
      await expect(insecure.getOrCreateExperiment('x')).rejects.toThrow(/does not speak https|TLS/);
    } finally {
      plain.close();
    }
  });
});
