import { initRuntime } from '@hybridspike/core';
import { FileStore, RestStore } from '@hybridspike/tracking';
import { fakeMlflow, faultProxy } from '@hybridspike/tracking/internal/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTrialWorkspace, sweepFile, tiny } from './__tests__/sweeps.js';
import { openSweep } from './context.js';
import { reproduce } from './reproduce.js';
import { runTrial, TAG } from './trial/index.js';
import { exportBest, runSweep } from './sweep-runner.js';
import { loadSweep } from './sweep.js';

const BIN = fileURLToPath(new URL('../bin/hybridspike.mjs', import.meta.url));

beforeAll(async () => {
  process.env.HYBRIDSPIKE_BACKEND = 'wasm';
  await initRuntime();
});

/** Runs the CLI's bin; `onStderr` may act on the process while it runs. */
function cli(
  args: string[],
  env: Record<string, string> = {},
  onStderr?: (text: string, pid: number) => void,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, HYBRIDSPIKE_BACKEND: 'wasm', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr, child.pid!);
  });
  return new Promise((ok) => child.on('exit', (code) => ok({ code, stderr, stdout })));
}

describe('run records are untrusted input', () => {
  it('reproduce refuses a record whose hash or sweep names a folder outside runs/ (nothing is deleted)', async () => {
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(sweepFile(tiny()));
    const r = await runTrial(loaded.trials[0]!, ctx);
    const victim = join(mkdtempSync(join(tmpdir(), 'hs-victim-')), 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious.txt'), 'x');
    const configPath = join(ws.root, 'mlruns', exp, r.runId, 'artifacts', 'config.json');
    const original = JSON.parse(readFileSync(configPath, 'utf8'));
    const traversal = `${'../'.repeat(12)}${victim.slice(1)}`;
    for (const tamper of [{ hash: traversal }, { sweep: traversal }, { sweep: '..' }, { index: -1 }]) {
      writeFileSync(configPath, JSON.stringify({ ...original, ...tamper }));
      await expect(
        reproduce(ws.tracker, r.runId, { runsDir: ws.runsDir, log: () => undefined }),
      ).rejects.toThrow(/config\.json is not a record 'hybridspike trial' writes .*refusing to use it/);
      expect(existsSync(join(victim, 'precious.txt'))).toBe(true);
    }
    await expect(reproduce(ws.tracker, '../../fake', { runsDir: ws.runsDir })).rejects.toThrow(
      /is not a run id/,
    );
  });

  it('a plugin named by a run record is never a path, and loads only when the user allows it by name', async () => {
    const { loaded, ws, exp, ctx } = await freshTrialWorkspace(sweepFile(tiny()));
    const r = await runTrial(loaded.trials[0]!, ctx);
    const marker = join(mkdtempSync(join(tmpdir(), 'hs-evil-')), 'ran');
    const evil = join(tmpdir(), `hs-evil-${process.pid}.cjs`);
    writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned')`);
    const tag = join(ws.root, 'mlruns', exp, r.runId, 'tags', TAG.plugins);
    const run = () =>
      reproduce(ws.tracker, r.runId, { runsDir: ws.runsDir, log: () => undefined, plugins: [evil] });
    writeFileSync(tag, JSON.stringify({ [evil]: '1.0.0' }));
    await expect(run()).rejects.toThrow(/names plugin '.*hs-evil-.*\.cjs', which is not an npm package name/);
    writeFileSync(tag, JSON.stringify({ [`file://${evil}`]: '1.0.0' }));
    await expect(run()).rejects.toThrow(/not an npm package name/);
    expect(existsSync(marker)).toBe(false);
    // A real package the user did not allow: listed back with the flag that allows it.
    writeFileSync(tag, JSON.stringify({ '@hybridspike/plugin-example': '0.1.0' }));
    await expect(
      reproduce(ws.tracker, r.runId, { runsDir: ws.runsDir, log: () => undefined }),
    ).rejects.toThrow(
      /recorded with plugin package\(s\) @hybridspike\/plugin-example\. .*--plugins @hybridspike\/plugin-example/,
    );
    // Allowed by name, and installed in the user's project (this package's): it loads and reruns.
    const rep = await reproduce(ws.tracker, r.runId, {
      runsDir: ws.runsDir,
      log: () => undefined,
      plugins: ['@hybridspike/plugin-example'],
    });
    expect(rep.ok).toBe(true);
  }, 60_000);
});

describe('a checkpoint is one atomic unit', () => {
  it('killed after any rename of a save, the rerun ends with the metrics of an uninterrupted run', async () => {
    const text = tiny()
      .replace('epochs: 1', 'epochs: 3')
      .replace('testLimit: 32', 'testLimit: 32, validation: 0');
    const f = sweepFile(`${text}best: { metric: test_accuracy }\n`);
    const straight = await freshTrialWorkspace(f);
    const trial = straight.loaded.trials[0]!;
    const ref = await runTrial(trial, straight.ctx);
    const refLoss = await straight.ws.tracker.getMetricHistory(ref.runId, 'loss');
    for (const n of [1, 2, 3]) {
      const root = mkdtempSync(join(tmpdir(), `hs-kill-${n}-`));
      const killed = await cli(['trial', f, '--index', '0', '--root', root, '--quiet'], {
        HYBRIDSPIKE_FAULT_KILL_AFTER_RENAMES: String(n),
      });
      expect(killed.code).toBe(137);
      const store = new FileStore(join(root, 'mlruns'));
      const exp = await store.getOrCreateExperiment('tiny');
      const rerun = await runTrial(trial, {
        ...straight.ctx,
        tracker: store,
        experimentId: exp,
        runsDir: join(root, 'runs'),
      });
      expect(rerun.metrics.test_accuracy).toBe(ref.metrics.test_accuracy);
      expect(rerun.metrics.test_loss).toBe(ref.metrics.test_loss);
      const loss = await store.getMetricHistory(rerun.runId, 'loss');
      expect(loss.map((m) => [m.step, m.value])).toEqual(refLoss.map((m) => [m.step, m.value]));
    }
  }, 120_000);
});

describe('an MLflow outage never kills a trial', () => {
  it('the server goes away during training and comes back: the trial finishes, every epoch logged once', async () => {
    const fake = fakeMlflow();
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    let outage = false;
    const proxy = await faultProxy(target, (req) => {
      const body = req.body as { metrics?: unknown[] } | undefined;
      if (!outage && req.path.endsWith('runs/log-batch') && body?.metrics?.length) {
        outage = true;
        // The first epoch's metrics get through; then the server is down for 3 s.
        setTimeout(() => void proxy.stop().then(() => setTimeout(() => void proxy.start(), 3000)), 0);
      }
      return 'pass';
    });
    try {
      const tracker = new RestStore(proxy.url, { retries: 2, backoffMs: 20 });
      const f = sweepFile(tiny().replace('epochs: 1', 'epochs: 4'));
      const { loaded } = await openSweep(f);
      const exp = await tracker.getOrCreateExperiment('tiny');
      const r = await runTrial(loaded.trials[0]!, {
        tracker,
        experimentId: exp,
        sweepName: 'tiny',
        runsDir: mkdtempSync(join(tmpdir(), 'hs-outage-')),
        plugins: {},
        quiet: true,
      });
      const run = await tracker.getRun(r.runId);
      expect(run.info.status).toBe('FINISHED');
      expect(outage).toBe(true);
      expect((await tracker.getMetricHistory(r.runId, 'loss')).map((m) => m.step)).toEqual([1, 2, 3, 4]);
    } finally {
      await proxy.close();
      fake.server.close();
    }
  }, 60_000);
});

describe('sweep files are bounded and named safely', () => {
  it('a huge grid is refused before it is expanded, with the flag that raises the limit', () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    const f = sweepFile(
      `${tiny()}axes:\n  grid:\n    seed: ${values(100)}\n    train.epochs: ${values(100)}\n    train.batchSize: ${values(1000)}\n`,
    );
    const t0 = Date.now();
    expect(() => loadSweep(f)).toThrow(
      /expands to 10,000,000 trials \(seed: 100 x train\.epochs: 100 x train\.batchSize: 1000\), over the limit of 10,000; .*--max-trials 10000000/,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    const small = sweepFile(`${tiny()}axes:\n  grid:\n    seed: [1, 2, 3]\nseeds: [1, 2]\n`);
    expect(() => loadSweep(small, { maxTrials: 5 })).toThrow(/expands to 6 trials/);
    expect(loadSweep(small, { maxTrials: 6 }).trials.length).toBe(6);
  });

  it('a device or an oversized file is not read as a sweep', () => {
    expect(() => loadSweep('/dev/zero')).toThrow(/not a regular file/);
    const big = sweepFile(`${tiny()}# ${'x'.repeat(2 << 20)}\n`);
    expect(() => loadSweep(big)).toThrow(/is 2\.0 MiB; a sweep file may be at most 1 MiB/);
  });

  it("'.' and '..' are not sweep names (they would name the reports folder itself)", () => {
    for (const name of ['..', '.', '.hidden'])
      expect(() => loadSweep(sweepFile(tiny().replace('name: tiny', `name: '${name}'`)))).toThrow(
        /'name': letters, digits, _ \. - only, starting with/,
      );
  });

  it('a trial killed by a signal exits 128 + that signal (SIGKILL: 137), not 130', async () => {
    const f = sweepFile(tiny().replace('epochs: 1', 'epochs: 50'));
    const root = mkdtempSync(join(tmpdir(), 'hs-sig-'));
    let sent = false;
    const r = await cli(['trial', f, '--index', '0', '--root', root], {}, (text, pid) => {
      if (sent || !/epoch 1\//.test(text)) return;
      sent = true;
      // The bin runs the CLI as its child: kill that child as the OOM killer would.
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
      for (const k of kids) process.kill(Number(k), 'SIGKILL');
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(137);
  }, 60_000);
});

describe('missing artifacts say what to do', () => {
  it("the exported best run's artifacts deleted: a rerun exports again, or names the remedy", async () => {
    const f = sweepFile(`${tiny()}axes:\n  grid:\n    branch: [ann]\n`);
    const { loaded, ws, exp } = await freshTrialWorkspace(f);
    await runSweep(loaded, ws, exp, {}, { quiet: true });
    const first = await exportBest(loaded, ws, exp);
    expect(first?.reused).toBe(false);
    const artifacts = join(ws.root, 'mlruns', exp, first!.runId, 'artifacts');
    rmSync(join(artifacts, 'onnx-parity.json'));
    const again = await exportBest(loaded, ws, exp);
    expect(again).toMatchObject({ reused: false, runId: first!.runId });
    expect(again!.report.ok).toBe(true);
    rmSync(artifacts, { recursive: true });
    await expect(exportBest(loaded, ws, exp)).rejects.toThrow(
      /best run .* has lost its artifacts .*hybridspike trial .* --index 0 --force/,
    );
  }, 60_000);
});
