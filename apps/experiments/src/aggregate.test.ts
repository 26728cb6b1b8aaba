import type { Run } from '@hybridspike/tracking';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bestOf, groupStat, groupTrials, statOf } from './aggregate.js';
import { openSweep } from './context.js';
import type { LoadedSweep } from './sweep.js';
import { headlineOf } from './report.js';

const sweep = `
name: agg
base:
  model: { name: has8Vgg, base: 1, depth: 1, hidden: [4, 4] }
seeds: [1, 2]
axes:
  grid:
    encoder.surrogate: [fourier, sigsine]
    branch: [hybrid, snn]
  list:
    - { branch: ann }
`;

/** A finished run with the given metrics (only what the aggregation reads). */
const run = (id: string, metrics: Record<string, number>): Run => ({
  info: {
    runId: id,
    experimentId: '0',
    runName: id,
    status: 'FINISHED',
    startTime: 0,
    endTime: 1,
    artifactUri: '',
    lifecycleStage: 'active',
  },
  params: {},
  metrics,
  tags: {},
});

describe('aggregation over seeds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-agg-'));
  writeFileSync(join(dir, 'agg.yaml'), sweep);
  let loaded: LoadedSweep;
  let finished: Map<string, Run>;
  beforeAll(async () => {
    loaded = (await openSweep(join(dir, 'agg.yaml'))).loaded;
    finished = new Map(
      loaded.trials.map((t) => [
        t.hash,
        run(`r${t.index}`, {
          test_accuracy: table[t.index]![0],
          best_val_accuracy: table[t.index]![1],
          energy_pj: table[t.index]![2],
        }),
      ]),
    );
  });
  // test / val accuracy and energy (pJ) by trial index: 5 configurations x 2 seeds.
  const table: [number, number, number][] = [
    [0.9, 0.91, 6e5],
    [0.92, 0.93, 6e5], // fourier hybrid
    [0.5, 0.52, 4e4],
    [0.6, 0.58, 4e4], // fourier snn
    [0.95, 0.95, 6.2e5],
    [0.93, 0.96, 6.2e5], // sigsine hybrid: best hybrid by mean val (0.955)
    [0.7, 0.71, 5e4],
    [0.74, 0.7, 5e4], // sigsine snn: best snn by mean val (0.705)
    [0.94, 0.94, 4.8e5],
    [0.96, 0.9, 4.8e5], // ann
  ];

  it('computes mean, sample std and n per configuration', () => {
    expect(statOf([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
    expect(statOf([5])).toEqual({ mean: 5, std: 0, n: 1 });
    expect(statOf([NaN])).toBeNull();
    const groups = groupTrials(loaded, finished);
    expect(groups.map((g) => g.label)).toEqual([
      'encoder.surrogate=fourier, branch=hybrid',
      'encoder.surrogate=fourier, branch=snn',
      'encoder.surrogate=sigsine, branch=hybrid',
      'encoder.surrogate=sigsine, branch=snn',
      'branch=ann',
    ]);
    const s = groupStat(groups[1]!, 'test_accuracy')!;
    expect(s.n).toBe(2);
    expect(s.mean).toBeCloseTo(0.55, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(2 * 0.05 ** 2), 12);
  });

  it('selects by mean validation accuracy, then the best run of that configuration', () => {
    const groups = groupTrials(loaded, finished);
    const best = bestOf(groups, 'best_val_accuracy')!;
    expect(best.group.label).toBe('encoder.surrogate=sigsine, branch=hybrid');
    expect(best.run.info.runId).toBe('r5');
    // by test accuracy the ANN would win (0.95 mean): selection really uses the metric asked for
    expect(bestOf(groups, 'test_accuracy')!.group.label).toBe('branch=ann');
    expect(bestOf(groups, 'missing_metric')).toBeNull();
  });

  it('writes the opening sentence from the numbers', () => {
    expect(headlineOf(groupTrials(loaded, finished), 'best_val_accuracy')).toBe(
      'Test accuracy (mean ± std over 2 seeds) of the best configuration per branch, chosen by mean best_val_accuracy: ' +
        'hybrid (sigsine) 94.00 ± 1.41%, ANN 95.00 ± 1.41% and SNN (sigsine) 72.00 ± 2.83%, at 0.620 / 0.480 / 0.050 µJ per image.',
    );
  });
});
