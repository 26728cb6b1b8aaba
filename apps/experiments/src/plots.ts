import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to an SVG string, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Mean of a metric per value of one axis: bars, standard-deviation error bars, every run as a point. */
export function axisChart(
  axis: string,
  metric: string,
  rows: { value: string; metric: number }[],
): TopLevelSpec {
  const x = { field: 'value', type: 'nominal', title: axis };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} by ${axis} (mean, ± std, runs)`,
    width: 320,
    height: 200,
    data: { values: rows },
    layer: [
      {
        mark: 'bar',
        encoding: { x, y: { aggregate: 'mean', field: 'metric', type: 'quantitative', title: metric } },
      },
      {
        mark: { type: 'errorbar', extent: 'stdev', ticks: true },
        encoding: { x, y: { field: 'metric', type: 'quantitative' } },
      },
      {
        mark: { type: 'point', color: 'black' },
        encoding: { x, y: { field: 'metric', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** Test accuracy (mean ± std over seeds) against energy per image, one point per configuration. */
export function energyScatter(
  points: { configuration: string; branch: string; accuracy: number; accStd: number; energy: number }[],
): TopLevelSpec {
  const rows = points.map((p) => ({ ...p, lo: p.accuracy - p.accStd, hi: p.accuracy + p.accStd }));
  const x = { field: 'energy', type: 'quantitative', title: 'energy per image (µJ)' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'test accuracy vs energy per configuration (± std over seeds)',
    width: 360,
    height: 240,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rule' },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
          color: { field: 'branch', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x,
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
          color: { field: 'branch', type: 'nominal' },
          tooltip: [{ field: 'configuration' }, { field: 'accuracy' }, { field: 'energy' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** One spike of the raster (`spike: false` marks the placeholder of a silent layer). */
export interface RasterPoint {
  layer: string;
  t: number;
  neuron: number;
  spike: boolean;
}

/**
 * Spike raster: one panel per SNN neuron layer (silent ones too, labelled), time on x over
 * the whole `[-0.5, steps - 0.5]` range so the last step is not cut, neuron index on y.
 */
export function rasterChart(points: RasterPoint[], title: string, steps: number): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { row: { field: 'layer', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 360,
      height: 90,
      mark: { type: 'tick', orient: 'vertical', thickness: 2 },
      encoding: {
        x: {
          field: 't',
          type: 'quantitative',
          title: 'time step',
          scale: { domain: [-0.5, steps - 0.5], nice: false },
          axis: { values: Array.from({ length: steps }, (_, i) => i) },
        },
        y: { field: 'neuron', type: 'quantitative', title: 'neuron' },
        // A silent layer's placeholder point is invisible (a value, not a discrete scale: no warning).
        opacity: { condition: { test: 'datum.spike', value: 1 }, value: 0 },
      },
    },
  } as TopLevelSpec;
}

/** One point of a learning curve: a configuration's metric at an epoch (one run). */
export interface CurvePoint {
  configuration: string;
  metric: string;
  epoch: number;
  value: number;
}

/**
 * Learning curves: one panel per metric (train / validation loss and accuracy), a line per
 * configuration through the mean over seeds, and a band of ± one standard deviation.
 */
export function learningCurves(points: CurvePoint[]): TopLevelSpec {
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } };
  const color = { field: 'configuration', type: 'nominal', title: 'configuration' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'learning curves (mean over seeds, band ± std)',
    data: { values: points },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 220,
      height: 160,
      layer: [
        {
          mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 },
          encoding: { x, y: { field: 'value', type: 'quantitative', title: null }, color },
        },
        {
          mark: { type: 'line', point: true },
          encoding: { x, y: { aggregate: 'mean', field: 'value', type: 'quantitative' }, color },
        },
      ],
    },
  } as TopLevelSpec;
}
