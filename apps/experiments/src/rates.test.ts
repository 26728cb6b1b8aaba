import { initRuntime } from '@hybridspike/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTrialWorkspace, sweepFile, tiny } from './__tests__/sweeps.js';
import { writeReport } from './report.js';
import { runSweep } from './sweep-runner.js';

beforeAll(async () => {
  process.env.HYBRIDSPIKE_BACKEND = 'wasm';
  await initRuntime();
});

describe('firing rates in every run and report', () => {
  it('logs rate/<layer> on the test set, counts silent layers and their parameters, and the report flags them', async () => {
    const f = sweepFile(
      `${tiny()}axes:\n  list:\n    - { branch: hybrid }\n    - { branch: hybrid, model.head: firing }\n    - { branch: ann }\n`,
    );
    const { loaded, ws, exp } = await freshTrialWorkspace(f);
    const out = await runSweep(loaded, ws, exp, {}, { quiet: true });
    const runs = [...out.values()].map((o) => (o as { runId: string }).runId);
    const hybrid = await ws.tracker.getRun(runs[0]!);
    const rates = Object.entries(hybrid.metrics).filter(([k]) => k.startsWith('rate/'));
    // has8Vgg depth 1: two conv blocks' LIFs and the head's three.
    expect(rates.map(([k]) => k).sort()).toEqual([
      'rate/blocks.0.snn.lif',
      'rate/blocks.1.snn.lif',
      'rate/head.snn.lif1',
      'rate/head.snn.lif2',
      'rate/head.snn.lif3',
    ]);
    expect(rates.every(([, v]) => v >= 0 && v <= 1)).toBe(true);
    const silent = rates.filter(([, v]) => v === 0).length;
    expect(hybrid.metrics.silent_layers).toBe(silent);
    // The history of a rate is one point, at the last epoch, like the test metrics.
    expect((await ws.tracker.getMetricHistory(runs[0]!, 'rate/head.snn.lif1')).length).toBe(1);
    const firing = await ws.tracker.getRun(runs[1]!);
    expect(
      Object.keys(firing.metrics)
        .filter((k) => k.startsWith('rate/head'))
        .sort(),
    ).toEqual(['rate/head.snn.lif1', 'rate/head.snn.lif2']);
    const ann = await ws.tracker.getRun(runs[2]!);
    expect(Object.keys(ann.metrics).some((k) => k.startsWith('rate/'))).toBe(false);
    const rep = await writeReport(ws.tracker, exp, loaded, join(ws.root, 'reports', 'tiny'));
    expect(rep.markdown).toMatch(/## Firing rates/);
    const curves = rep.files.find((f) => f.endsWith('learning-curves.svg'));
    expect(curves).toBeDefined();
    const svg = readFileSync(curves!, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/validation loss/);
    expect(rep.markdown).toMatch(/\| head\.snn\.lif1 \|/);
    expect(rep.markdown).toMatch(
      /spiking layers never fire; [\d,]+ parameters sit in blocks that never fire/,
    );
    if (silent) expect(rep.markdown).toMatch(/\*\*0 \(silent\)\*\*/);
  }, 120_000);
});
