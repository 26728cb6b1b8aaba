import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRun, createTracker, FileStore, RestStore, TrackingError } from './index.js';
import { fakeMlflow } from './testing/fake-mlflow.js';

describe('FileStore (MLflow 2.x layout)', () => {
  const root = join(mkdtempSync(join(tmpdir(), 'hs-mlruns-')), 'mlruns');
  const store = new FileStore(root);

  it('creates the Default experiment 0 and named experiments with meta.yaml', async () => {
    const meta0 = YAML.parse(readFileSync(join(root, '0', 'meta.yaml'), 'utf8'));
    expect(meta0).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
    expect(meta0.artifact_location).toMatch(/^file:\/\//);
    expect(typeof meta0.creation_time).toBe('number');
    const id = await store.getOrCreateExperiment('sweep-a');
    expect(id).toMatch(/^[1-9]\d{17}$/);
    expect(await store.getOrCreateExperiment('sweep-a')).toBe(id);
    expect(YAML.parse(readFileSync(join(root, id, 'meta.yaml'), 'utf8'))).toMatchObject({
      experiment_id: id,
      name: 'sweep-a',
      last_update_time: expect.any(Number),
    });
  });

  it('writes runs exactly as the FileStore reads them', async () => {
    const exp = await store.getOrCreateExperiment('sweep-a');
    const run = await store.createRun(exp, { runName: 'trial-0', tags: { 'hybridspike.seed': '0' } });
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);
    const dir = join(root, exp, run.runId);
    const meta = YAML.parse(readFileSync(join(dir, 'meta.yaml'), 'utf8'));
    expect(meta).toMatchObject({
      run_id: run.runId,
      run_uuid: run.runId,
      experiment_id: exp,
      status: 1,
      lifecycle_stage: 'active',
      run_name: 'trial-0',
      end_time: null,
    });
    expect(readFileSync(join(dir, 'meta.yaml'), 'utf8')).toMatch(/^end_time: null$/m);
    await store.logParams(run.runId, { 'model.base': 4, lr: 0.001, 'encoder/surrogate': 'fourier' });
    await store.logMetrics(run.runId, [
      { key: 'val_accuracy', value: 0.5, step: 1, timestamp: 1000 },
      { key: 'val_accuracy', value: 0.75, step: 2, timestamp: 2000 },
    ]);
    await store.setTags(run.runId, { 'hybridspike.backend': 'wasm' });
    await store.logArtifactBytes(run.runId, 'config.json', '{"a":1}');
    await store.endRun(run.runId, 'FINISHED', 5000);
    expect(readFileSync(join(dir, 'params', 'model.base'), 'utf8')).toBe('4');
    expect(readFileSync(join(dir, 'params', 'encoder', 'surrogate'), 'utf8')).toBe('fourier');
    expect(readFileSync(join(dir, 'metrics', 'val_accuracy'), 'utf8')).toBe('1000 0.5 1\n2000 0.75 2\n');
    expect(readFileSync(join(dir, 'tags', 'mlflow.runName'), 'utf8')).toBe('trial-0');
    expect(readFileSync(join(dir, 'tags', 'hybridspike.backend'), 'utf8')).toBe('wasm');
    expect(readFileSync(join(dir, 'artifacts', 'config.json'), 'utf8')).toBe('{"a":1}');
    expect(YAML.parse(readFileSync(join(dir, 'meta.yaml'), 'utf8'))).toMatchObject({
      status: 3,
      end_time: 5000,
    });
    const back = await store.getRun(run.runId);
    expect(back.metrics.val_accuracy).toBe(0.75);
    expect(back.params['encoder/surrogate']).toBe('fourier');
    expect(back.info.status).toBe('FINISHED');
    expect(
      (await store.searchRuns([exp], { 'hybridspike.backend': 'wasm' })).map((r) => r.info.runId),
    ).toEqual([run.runId]);
    expect(await store.searchRuns([exp], { 'hybridspike.backend': 'cpu' })).toEqual([]);
    expect((await store.getMetricHistory(run.runId, 'val_accuracy')).map((m) => m.value)).toEqual([
      0.5, 0.75,
    ]);
    const leftovers = readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.tmp-'));
    expect(leftovers).toEqual([]);
  });

  it('refuses to change a param and rejects bad keys', async () => {
    const exp = await store.getOrCreateExperiment('sweep-a');
    const run = await store.createRun(exp);
    await store.logParams(run.runId, { lr: 0.1 });
    await store.logParams(run.runId, { lr: 0.1 });
    await expect(store.logParams(run.runId, { lr: 0.2 })).rejects.toThrow(
      /param 'lr' was already logged as '0.1' and cannot change to '0.2'/,
    );
    await expect(store.logParams(run.runId, { '../x': 1 })).rejects.toThrow(/invalid param name/);
    await expect(store.getRun('f'.repeat(32))).rejects.toThrow(/not found/);
  });

  it('reads inf / -inf / nan back as MLflow writes them and rejects a fractional step', async () => {
    const exp = await store.getOrCreateExperiment('sweep-a');
    const run = await store.createRun(exp);
    await store.logMetrics(run.runId, [
      { key: 'a', value: Infinity, step: 0 },
      { key: 'b', value: -Infinity, step: 0 },
      { key: 'c', value: NaN, step: 0 },
    ]);
    const back = await store.getRun(run.runId);
    expect([back.metrics.a, back.metrics.b]).toEqual([Infinity, -Infinity]);
    expect(back.metrics.c).toBeNaN();
    await expect(store.logMetrics(run.runId, [{ key: 'a', value: 1, step: 0.5 }])).rejects.toThrow(
      /step 0.5; MLflow steps are integers/,
    );
  });

  it("respects MLflow's deletions: deleted runs are not listed, trashed experiments are neither reused nor shadowed", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hs-life-')), 'mlruns');
    const s = new FileStore(dir);
    const exp = await s.getOrCreateExperiment('life');
    const run = await s.createRun(exp, { tags: { k: 'v' } });
    await s.endRun(run.runId, 'FINISHED');
    // what mlflow's delete_run does: lifecycle_stage deleted in meta.yaml
    const metaPath = join(dir, exp, run.runId, 'meta.yaml');
    writeFileSync(
      metaPath,
      readFileSync(metaPath, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'),
    );
    expect(await s.searchRuns([exp], { k: 'v' })).toEqual([]);
    expect((await s.getRun(run.runId)).info.lifecycleStage).toBe('deleted');
    // what delete_experiment does: the folder moves to .trash/<id>
    mkdirSync(join(dir, '.trash'));
    renameSync(join(dir, exp), join(dir, '.trash', exp));
    await expect(s.getOrCreateExperiment('life')).rejects.toThrow(
      /experiment 'life' was deleted .*\.trash.*restore --experiment-id/,
    );
    const ids = await Promise.all(['a', 'b', 'c'].map((n) => s.getOrCreateExperiment(n)));
    expect(new Set([...ids, exp]).size).toBe(4);
  });

  it('createTracker picks the store from the URI', () => {
    expect(createTracker({ uri: root })).toBeInstanceOf(FileStore);
    expect(createTracker({ uri: 'http://127.0.0.1:1' })).toBeInstanceOf(RestStore);
  });
});

describe('RestStore against a local MLflow-compatible server', () => {
  const fake = fakeMlflow();
  let uri = '';
  beforeAll(async () => {
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
    uri = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  });
  afterAll(() => fake.server.close());

  it('creates experiments and runs, batches within MLflow limits, ends runs', async () => {
    const t = new RestStore(uri, { backoffMs: 1 });
    const exp = await t.getOrCreateExperiment('sweep');
    expect(await t.getOrCreateExperiment('sweep')).toBe(exp);
    const run = await t.createRun(exp, { runName: 'trial-0', tags: { a: '1' } });
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
    await t.logParams(run.runId, params);
    await t.logMetrics(
      run.runId,
      Array.from({ length: 2500 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), step: i })),
    );
    const batches = fake.calls
      .filter((c) => c.path.endsWith('log-batch'))
      .map((c) => c.body as { params: unknown[]; metrics: unknown[] });
    expect(batches.map((b) => b.params.length).filter(Boolean)).toEqual([100, 100, 50]);
    expect(batches.map((b) => b.metrics.length).filter(Boolean)).toEqual([1000, 1000, 500]);
    await t.logArtifactBytes(run.runId, 'reports/parity.json', '{"ok":true}');
    expect(new TextDecoder().decode(await t.readArtifact(run.runId, 'reports/parity.json'))).toBe(
      '{"ok":true}',
    );
    expect([...fake.artifacts.keys()][0]).toBe(
      `/api/2.0/mlflow-artifacts/artifacts/${exp}/${run.runId}/artifacts/reports/parity.json`,
    );
    await t.endRun(run.runId, 'FINISHED');
    const back = await t.getRun(run.runId);
    expect(back.info.status).toBe('FINISHED');
    expect(back.params.p249).toBe('249');
    expect((await t.searchRuns([exp], { a: '1' })).length).toBe(1);
    expect((await t.getMetricHistory(run.runId, 'loss')).length).toBe(2500);
  });

  it('retries 5xx with backoff and surfaces 4xx with error_code and message', async () => {
    const t = new RestStore(uri, { backoffMs: 1 });
    fake.failNext(2);
    const exp = await t.getOrCreateExperiment('retry');
    const run = await t.createRun(exp);
    await t.logParams(run.runId, { lr: 0.1 });
    const e = await t.logParams(run.runId, { lr: 0.2 }).catch((x) => x);
    expect(e).toBeInstanceOf(TrackingError);
    expect(e.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/400 INVALID_PARAMETER_VALUE\): Changing param values is not allowed/);
    fake.failNext(10);
    await expect(new RestStore(uri, { backoffMs: 1, retries: 3 }).getRun(run.runId)).rejects.toThrow(
      /after 3 attempts/,
    );
    fake.failNext(0);
  });

  it('reports an unreachable server clearly: refused is retried and named; a bad address is not retried', async () => {
    // a port nothing listens on: open a server, note its port, close it
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const t = new RestStore(`http://127.0.0.1:${closed}`, { backoffMs: 1, retries: 2, timeoutMs: 2000 });
    await expect(t.getOrCreateExperiment('x')).rejects.toThrow(
      new RegExp(`after 2 attempts: connection refused by 127\\.0\\.0\\.1:${closed} .*MLFLOW_TRACKING_URI`),
    );
    const blocked = await new RestStore('http://127.0.0.1:9', { backoffMs: 1, retries: 3 })
      .getOrCreateExperiment('x')
      .catch((x: Error) => x);
    expect(String(blocked)).toMatch(/port 9 is on the Fetch standard's list of blocked \("bad"\) ports/);
    let calls = 0;
    const counting = ((...a: Parameters<typeof fetch>) => {
      calls++;
      return fetch(...a);
    }) as typeof fetch;
    const bad = new RestStore('http://127.0.0.1:99999', { backoffMs: 1, retries: 4, fetch: counting });
    const e = (await bad.getOrCreateExperiment('x').then(
      () => null,
      (x: unknown) => x,
    )) as TrackingError;
    expect(String(e)).toMatch(/'http:\/\/127\.0\.0\.1:99999.*' is not a valid address/);
    expect(e.errorCode).toBe('UNREACHABLE');
    expect(calls).toBe(1);
  });

  it('retries of calls whose answer was lost after the server acted do not duplicate data', async () => {
    const t = new RestStore(uri, { backoffMs: 1 });
    const exp = await t.getOrCreateExperiment('lost');
    const before = fake.runs.size;
    fake.dropAfterActing('runs/create');
    const run = await t.createRun(exp, { runName: 'once' });
    expect(fake.runs.size).toBe(before + 1);
    expect(fake.runs.has(run.runId)).toBe(true);
    fake.dropAfterActing('log-batch');
    await t.logMetrics(run.runId, [
      { key: 'loss', value: 1, step: 1, timestamp: 10 },
      { key: 'loss', value: 0.5, step: 2, timestamp: 20 },
    ]);
    expect(fake.runs.get(run.runId)!.metrics.map((m) => m.step)).toEqual([1, 2]);
    fake.dropAfterActing('log-batch');
    await t.logParams(run.runId, { lr: 0.1 });
    expect(fake.runs.get(run.runId)!.params.get('lr')).toBe('0.1');
    fake.dropAfterActing('runs/update');
    await t.endRun(run.runId, 'FINISHED');
    expect((await t.getRun(run.runId)).info.status).toBe('FINISHED');
  });

  it('closeRun has a retry budget of its own: an outage longer than one call still ends FAILED with its error tag', async () => {
    const t = new RestStore(uri, { backoffMs: 1, retries: 2 });
    const exp = await t.getOrCreateExperiment('outage');
    const run = await t.createRun(exp);
    fake.failNext(7); // more than a call's own 2 attempts, several times over
    await closeRun(t, run.runId, 'FAILED', {
      tags: { 'hybridspike.error': 'boom' },
      backoffMs: 1,
      attempts: 8,
    });
    const back = await t.getRun(run.runId);
    expect(back.info.status).toBe('FAILED');
    expect(back.tags['hybridspike.error']).toBe('boom');
    fake.failNext(100);
    await expect(closeRun(t, run.runId, 'KILLED', { backoffMs: 1, attempts: 3 })).rejects.toThrow(
      new RegExp(`could not close run ${run.runId} as KILLED .*after 3 attempts`),
    );
    fake.failNext(0);
  });

  it('rides out a server restart: refused connections are retried until it listens again', async () => {
    const restarting = fakeMlflow();
    await new Promise<void>((r) => restarting.server.listen(0, '127.0.0.1', r));
    const port = (restarting.server.address() as AddressInfo).port;
    const t = new RestStore(`http://127.0.0.1:${port}`, { backoffMs: 40, retries: 6 });
    const exp = await t.getOrCreateExperiment('restart');
    await new Promise<void>((r) => restarting.server.close(() => r()));
    restarting.server.closeAllConnections();
    const pending = t.createRun(exp, { runName: 'after-restart' });
    setTimeout(() => restarting.server.listen(port, '127.0.0.1'), 100);
    const run = await pending;
    expect(restarting.runs.has(run.runId)).toBe(true);
    await new Promise<void>((r) => restarting.server.close(() => r()));
  });

  it('sends NaN and infinities as MLflow strings (the batch is not rejected) and reads them back', async () => {
    const t = new RestStore(uri, { backoffMs: 1 });
    const exp = await t.getOrCreateExperiment('nan');
    const run = await t.createRun(exp);
    await t.logMetrics(run.runId, [
      { key: 'loss', value: NaN, step: 1 },
      { key: 'grad', value: Infinity, step: 1 },
      { key: 'low', value: -Infinity, step: 1 },
      { key: 'ok', value: 0.5, step: 1 },
    ]);
    const back = await t.getRun(run.runId);
    expect(back.metrics).toMatchObject({ grad: Infinity, low: -Infinity, ok: 0.5 });
    expect(back.metrics.loss).toBeNaN();
    await expect(t.logMetrics(run.runId, [{ key: 'x', value: 1, step: 1.5 }])).rejects.toThrow(
      /step 1.5; MLflow steps are integers/,
    );
  });

  it('records the user on REST runs (mlflow.user and user_id)', async () => {
    const t = new RestStore(uri, { backoffMs: 1 });
    const exp = await t.getOrCreateExperiment('user');
    await t.createRun(exp, { runName: 'u' });
    const create = fake.calls.filter((c) => c.path.endsWith('runs/create')).pop()!.body as {
      user_id: string;
      tags: { key: string; value: string }[];
    };
    expect(create.user_id).toMatch(/\S/);
    expect(create.tags).toContainEqual({ key: 'mlflow.user', value: create.user_id });
  });
});
