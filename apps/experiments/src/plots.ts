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

/** Mean of a metric per value of one axis (bars with the individual trials as points). */
export function axisChart(axis: string, metric: string, rows: { value: string; metric: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} by ${axis}`,
    width: 320,
    height: 200,
    data: { values: rows },
    layer: [
      { mark: 'bar', encoding: { x: { field: 'value', type: 'nominal', title: axis }, y: { aggregate: 'mean', field: 'metric', type: 'quantitative', title: metric } } },
      { mark: { type: 'point', color: 'black' }, encoding: { x: { field: 'value', type: 'nominal' }, y: { field: 'metric', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** Spike raster: one row of panels per SNN neuron layer, time on x, neuron index on y. */
export function rasterChart(points: { layer: string; t: number; neuron: number }[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { row: { field: 'layer', type: 'nominal', title: null } },
    spec: {
      width: 360,
      height: 90,
      mark: { type: 'tick', orient: 'vertical', thickness: 2 },
      encoding: { x: { field: 't', type: 'quantitative', title: 'time step' }, y: { field: 'neuron', type: 'quantitative', title: 'neuron' } },
    },
  } as TopLevelSpec;
}
